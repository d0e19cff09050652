//! What the steps have in common. Release modules never import each other: anything two of them
//! need lives here, once.
//!
//! - [`routes`]: the route mappings of a Core config, their names in messages, and findings
//!   merged across routes that share an entry.
//! - [`entries`]: removing ([`retire`]), renaming ([`rename_key`]) and moving
//!   ([`move_into_block`]) entries, each with its finding.
//! - [`console`]: the Console's key spellings and the keys it shares with Core.
//! - [`policy`]: criteria inside PPL policies.
//! - [`storage`]: the databroker's storage settings.
//! - [`values`]: booleans, strings and URLs read the way Pomerium reads them.
//!
//! Everything here works through the document API only.

mod console;
mod entries;
mod policy;
mod routes;
mod storage;
mod values;

pub(crate) use console::{
    CONSOLE_NEEDS_NEITHER, Spelling, add_console_key, console_entry, core_authenticate_service_url,
    known_authenticate_service_url, warn_if_set_differs,
};
pub(crate) use entries::{
    Beside, BlockMove, MoveWording, Removal, Retirement, at, last_top_level, move_into_block,
    rename_key, replacing_position, retire, retire_key, retire_top_level, shared_note,
};
pub(crate) use policy::groups_criteria;
pub(crate) use routes::{Route, RouteFindings, join_names, merged_maps, merges, routes, strings};
pub(crate) use storage::redis_storage;
pub(crate) use values::{as_bool, non_empty_str, parse_url};
