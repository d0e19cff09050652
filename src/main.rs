use clap::Parser;

/// Upgrade Pomerium configuration files (Core and Enterprise Console) to a newer release,
/// keeping every comment and byte that does not have to change.
#[derive(Parser)]
#[command(name = "pomerium-migrate", version, about, long_about = None)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
