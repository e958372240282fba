//! `ekino`: the one user-facing binary. Thin on purpose: parse arguments, set up tracing,
//! load settings, hand over to a subcommand in `cli`.

mod bench;
mod cli;
mod settings;
mod simulate;

use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EKINO_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let settings = settings::Settings::load(args.config.as_deref())?;
    cli::run(args.command, settings).await
}
