//! The `camview` binary: parse the command line, set up logging, run the
//! mode, map the outcome to an exit code. Nothing else.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use camview::app::{receive, runtime};
use camview::cli::{Cli, Command, TrustCommand};
use camview::config::layers::{LayerError, Layered};
use camview::config::{PairSettings, ReceiveSettings, SendSettings};
use camview::identity::{self, Identity};

fn main() -> ExitCode {
    let layered = match Layered::parse(std::env::args_os()) {
        Ok(layered) => layered,
        Err(LayerError::Cli(e)) => e.exit(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&layered.cli);
    match run(layered) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("camview={level}")));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .with_target(false);
    // Under systemd the journal stamps each line itself.
    let logs = if std::env::var_os("JOURNAL_STREAM").is_some() {
        logs.without_time().boxed()
    } else {
        logs.boxed()
    };
    let subscriber = tracing_subscriber::registry().with(logs.with_filter(filter));
    let serves_browsers = matches!(&cli.command, Command::Send(send) if send.web);
    let subscriber = subscriber.with(camview::web::browser_log_layer(serves_browsers));
    subscriber.init();
}

fn run(layered: Layered) -> anyhow::Result<()> {
    let Layered { cli, .. } = &layered;
    let config_dir = cli.config_dir.clone().unwrap_or_else(identity::default_dir);
    let load_identity = || -> anyhow::Result<Identity> {
        let (identity, created) = Identity::load_or_create(&config_dir)?;
        if created {
            tracing::info!(
                "created a new identity in {}: {}",
                config_dir.display(),
                identity.fingerprint()
            );
        }
        Ok(identity)
    };
    match &cli.command {
        Command::Devices => camview::app::devices::run(),
        Command::Id(args) => camview::app::trust::id(&config_dir, args.qr, args.rotate),
        Command::Share(args) => camview::app::share::run(&config_dir, args),
        Command::Config => camview::app::config::show(layered.file.as_ref()),
        Command::Discover(args) => {
            let wait = std::time::Duration::try_from_secs_f64(args.wait)
                .ok()
                .filter(|w| !w.is_zero())
                .ok_or_else(|| anyhow::anyhow!("--wait takes a positive number of seconds"))?;
            runtime()?.block_on(camview::app::discover::run(wait, &config_dir))
        }
        Command::Generate { dir } => camview::app::config::generate(dir),
        Command::Trust(args) => match &args.command {
            TrustCommand::Add { name, fingerprint } => {
                camview::app::trust::add(&config_dir, name, fingerprint)
            }
            TrustCommand::List => camview::app::trust::list(&config_dir),
            TrustCommand::Remove { name } => camview::app::trust::remove(&config_dir, name),
        },
        Command::Pair(args) => {
            let settings = PairSettings::from_args(args)?;
            let identity = load_identity()?;
            runtime()?.block_on(camview::app::pair::run(settings, identity, &config_dir))
        }
        Command::SfuGateway(args) => {
            let settings = camview::config::GatewaySettings::from_args(args, &config_dir)
                .map_err(|e| layered.blame(e))?;
            let identity = load_identity()?;
            runtime()?.block_on(camview::app::gateway::run(settings, identity))
        }
        Command::Send(args) => {
            let settings =
                SendSettings::from_args(args, &config_dir).map_err(|e| layered.blame(e))?;
            let identity = load_identity()?;
            runtime()?.block_on(camview::app::send::run(settings, identity))
        }
        Command::Receive(args) => {
            let streams =
                ReceiveSettings::from_args(args, &config_dir).map_err(|e| layered.blame(e))?;
            let identity = load_identity()?;
            receive::run_here(streams, identity)
        }
    }
}
