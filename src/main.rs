//! The `pomerium-migrate` binary: parses the arguments, runs the command, maps errors to exit
//! codes (see "Exit codes" in `docs/ARCHITECTURE.md`). Everything else lives in the library.

use std::io::{self, Write};
use std::process::ExitCode;

use anstream::stream::{AsLockedWrite, RawStream};
use anstream::{AutoStream, ColorChoice};
use clap::Parser as _;
use pomerium_migrate::cli::{self, Cli, Streams};

/// mimalloc rather than the system allocator: a run allocates and frees an index of the file
/// after every editing step, and glibc's malloc returns large blocks to the system and faults
/// them back in zeroed each time. mimalloc's v2 line (the `v2` feature) rather than v3: v3 kept
/// the blocks a step freed out of the next step's reach, so a run's peak memory was about a
/// fifth above what it had alive at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_decommits`: its place in `mi_option_t` (mimalloc.h, the same in v2 and v3;
/// the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DECOMMITS: libmimalloc_sys::mi_option_t = 5;

/// Memory the run frees goes back to the kernel with `MADV_FREE` instead of `MADV_DONTNEED`: the
/// kernel may still take it when it needs memory, but until then the next step's index reuses
/// it without a page fault. With `MADV_DONTNEED`, a run over 100,000 routes faulted in twice the
/// memory it ever had alive at once (550,000 faults for a peak of 1.1 GB), each page zeroed again.
fn tune_allocator() {
    // SAFETY: `mi_option_set` stores an option's value; any value is valid for this option, and
    // it is set before the run starts freeing anything.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DECOMMITS, 0) }
}

/// A stream the run writes to: where it takes no colour, [`cli::PlainStream`] gives what
/// anstream's stripping adapter would without reading every byte of a long diff through it.
fn output_stream<S: RawStream + AsLockedWrite + 'static>(
    raw: S,
    choice: ColorChoice,
) -> Box<dyn Write> {
    match choice {
        ColorChoice::Never => Box::new(cli::PlainStream::new(raw)),
        choice => Box::new(AutoStream::new(raw, choice)),
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let args = Cli::parse();
    if let Some(jobs) = args.jobs
        && let Err(err) = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.get())
            .build_global()
    {
        eprintln!("error: --jobs {jobs}: {err}");
        return ExitCode::from(2);
    }
    // Each stream decides on its own whether it is a terminal that wants colour (NO_COLOR,
    // CLICOLOR_FORCE, TERM); `--color always|never` overrides both. The streams go through
    // anstream, which also makes ANSI colours work on older Windows consoles.
    let (stdout, stderr) = (io::stdout(), io::stderr());
    let out_choice = AutoStream::choice(&stdout);
    let err_choice = AutoStream::choice(&stderr);
    let wrap = |choice: ColorChoice| match args.color {
        cli::ColorChoice::Auto => choice,
        cli::ColorChoice::Always => ColorChoice::Always,
        cli::ColorChoice::Never => ColorChoice::Never,
    };
    let mut out = output_stream(stdout.lock(), wrap(out_choice));
    let mut err = output_stream(stderr.lock(), wrap(err_choice));
    let mut streams = Streams {
        stdin: &mut io::stdin().lock(),
        stdout: &mut *out,
        stderr: &mut *err,
        auto_color: out_choice != ColorChoice::Never,
        auto_color_stderr: err_choice != ColorChoice::Never,
        before_write_check: None,
        // Returning from `main` ends the process: the run's results need not be freed.
        process_exits: true,
    };
    match cli::execute(args, &mut streams) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = error.exit_code();
            // The message already includes its cause (file, line, column, OS error); printing
            // the chain as well would repeat it.
            let _ = writeln!(err, "error: {error}");
            ExitCode::from(code)
        }
    }
}
