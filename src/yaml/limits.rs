//! Bounds on what a YAML text may ask of the reader: nesting depth and alias expansion.
//!
//! yaml-rust2's `Parser::load` recurses once per nesting level, so a text of 100,000 nested `- `
//! overflows the stack before any of our code runs. [`drive`] pulls the same events in a loop
//! instead, and the receivers refuse a collection nested deeper than [`MAX_DEPTH`].
//!
//! An alias stands for a copy of its anchored node. Nine levels of nine aliases each expand a
//! few hundred bytes into 387 million nodes, and a chain of routes that each merge the previous
//! one grows quadratically. [`AliasBudget`] counts, in document order and without expanding
//! anything, how many nodes the data would have with every alias expanded, and refuses the text
//! the way Go's yaml.v3 decoder does (`allowedAliasRatio` in its `decode.go`): once more than
//! 100 nodes come from aliases and more than 1,000 are decoded, the share that comes from
//! aliases may be at most 99% up to 400,000 decoded nodes, falling linearly to 10% at 4,000,000.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, ScanError};

/// The deepest nesting of collections read. Pomerium configs nest a handful of levels (a policy
/// inside a route inside `routes`); this leaves room for anything written by hand while keeping
/// every recursive walk over the tree far from the end of the stack.
pub(crate) const MAX_DEPTH: usize = 1000;

/// Below these counts any amount of aliasing is allowed (yaml.v3's thresholds).
const MIN_ALIASED: u64 = 100;
const MIN_DECODED: u64 = 1000;
/// Where the allowed share of aliased nodes starts and stops falling (yaml.v3's range).
const RATIO_RANGE_LOW: u64 = 400_000;
const RATIO_RANGE_HIGH: u64 = 4_000_000;

/// The share of decoded nodes that may come from aliases when `decoded` nodes are decoded.
fn allowed_ratio(decoded: u64) -> f64 {
    if decoded <= RATIO_RANGE_LOW {
        0.99
    } else if decoded >= RATIO_RANGE_HIGH {
        0.10
    } else {
        let along =
            (decoded - RATIO_RANGE_LOW) as f64 / (RATIO_RANGE_HIGH - RATIO_RANGE_LOW) as f64;
        0.99 - 0.89 * along
    }
}

/// Counts of the nodes the data would have with aliases expanded.
#[derive(Debug, Default)]
pub(crate) struct AliasBudget {
    /// Every node, written or reached through an alias (an alias counts itself too).
    decoded: u64,
    /// The nodes reached through aliases.
    aliased: u64,
}

/// The counts at the alias that went over the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Excessive {
    pub expanded: u64,
    pub written: u64,
}

impl AliasBudget {
    /// A node written in the text.
    pub(crate) fn written(&mut self) {
        self.decoded = self.decoded.saturating_add(1);
    }

    /// An alias to a node that expands to `size` nodes. The ratio only grows while an alias is
    /// expanded, so checking once after it is the same as checking at each of its nodes.
    pub(crate) fn alias(&mut self, size: u64) -> Result<(), Excessive> {
        self.decoded = self.decoded.saturating_add(1).saturating_add(size);
        self.aliased = self.aliased.saturating_add(size);
        if self.aliased > MIN_ALIASED
            && self.decoded > MIN_DECODED
            && self.aliased as f64 / self.decoded as f64 > allowed_ratio(self.decoded)
        {
            return Err(Excessive {
                expanded: self.decoded,
                written: self.decoded - self.aliased,
            });
        }
        Ok(())
    }
}

/// Feeds `recv` the events of `src` in a loop (no recursion per nesting level), stopping early
/// when `stop` says the receiver has seen enough (it found an error).
pub(crate) fn drive<R: MarkedEventReceiver>(
    src: &str,
    recv: &mut R,
    stop: impl Fn(&R) -> bool,
) -> Result<(), ScanError> {
    let mut parser = Parser::new_from_str(src);
    loop {
        let (event, mark): (Event, Marker) = parser.next_token()?;
        let end = event == Event::StreamEnd;
        recv.on_event(event, mark);
        if end || stop(recv) {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowed_ratio_falls_from_99_to_10_percent() {
        assert_eq!(allowed_ratio(1_000), 0.99);
        assert_eq!(allowed_ratio(RATIO_RANGE_LOW), 0.99);
        assert!((allowed_ratio(2_200_000) - 0.545).abs() < 1e-9);
        assert_eq!(allowed_ratio(RATIO_RANGE_HIGH), 0.10);
        assert_eq!(allowed_ratio(u64::MAX), 0.10);
    }

    #[test]
    fn small_documents_may_be_mostly_aliases() {
        let mut budget = AliasBudget::default();
        for _ in 0..20 {
            budget.written();
        }
        // 900 aliased of 921: under 1,000 decoded, anything goes.
        assert_eq!(budget.alias(900), Ok(()));
        // Past 1,000 decoded, 99% may come from aliases: 1,000 written allow 99,000 more.
        let mut budget = AliasBudget::default();
        for _ in 0..1_000 {
            budget.written();
        }
        assert_eq!(budget.alias(90_000), Ok(()));
        assert!(budget.alias(20_000).is_err());
    }

    #[test]
    fn sizes_that_overflow_saturate_and_are_refused() {
        let mut budget = AliasBudget::default();
        budget.written();
        let err = budget.alias(u64::MAX);
        assert!(
            matches!(
                err,
                Err(Excessive {
                    expanded: u64::MAX,
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
