//! The `pomerium-migrate` binary: parses the arguments, runs the command, maps errors to exit
//! codes (see "Exit codes" in `docs/ARCHITECTURE.md`). Everything else lives in the library.

use std::io::{self, IsTerminal as _};
use std::process::ExitCode;

use clap::Parser as _;
use pomerium_migrate::cli::{self, Cli, Streams};

fn main() -> ExitCode {
    let args = Cli::parse();
    let stdout = io::stdout();
    let auto_color = stdout.is_terminal()
        && anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
    let mut streams = Streams {
        stdin: &mut io::stdin().lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut io::stderr().lock(),
        auto_color,
        before_write_check: None,
    };
    match cli::execute(args, &mut streams) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = err.exit_code();
            // The message already includes its cause (file, line, column, OS error); printing
            // the chain as well would repeat it.
            eprintln!("error: {err}");
            ExitCode::from(code)
        }
    }
}
