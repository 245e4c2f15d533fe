//! The `juhe` command line.

use crate::config::Config;
use crate::{demo, logging, server, wiring};
use clap::{Parser, Subcommand};
use juhe_domain::identity::Role;
use juhe_domain::identity::service::NewUser;
use juhe_domain::secret::Secret;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "juhe", version, about = "juhe — aggregated payment platform")]
struct Cli {
    /// Configuration file (default: ./juhe.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Do not run migrations at start.
        #[arg(long)]
        no_migrate: bool,
        /// Seed demo data if the database is empty, and print the logins.
        #[arg(long)]
        seed_demo: bool,
    },
    /// Run only the job worker (no HTTP): notification delivery, order and refund follow-ups…
    Worker,
    /// Run database migrations and exit.
    Migrate,
    /// Seed demo data into an empty database and print the logins.
    Demo {
        /// Print JSON (OPEN_API.md "Demo data").
        #[arg(long)]
        json: bool,
    },
    /// Serve only the channel sandboxes (WeChat Pay, Alipay), e.g. for SDK conformance runs or
    /// as a stand-in channel host for another juhe.
    Sandbox {
        /// Listen address (default: the configured `bind`).
        #[arg(long)]
        bind: Option<String>,
        /// Write the SDK credentials (`wechat.json`, `alipay.json`) into this directory.
        #[arg(long)]
        credentials_dir: Option<PathBuf>,
    },
    /// Print the OpenAPI spec.
    Openapi {
        /// Write to this file instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a console user (the first platform admin, for instance).
    CreateUser {
        #[arg(long)]
        username: String,
        /// Role: platform_admin, platform_operator, agent_admin, … (default platform_admin).
        #[arg(long, default_value = "platform_admin")]
        role: String,
        /// Node id for non-platform roles (agent, merchant or store id).
        #[arg(long)]
        node_id: Option<String>,
        /// Read the password from standard input (recommended; arguments are visible in `ps`).
        #[arg(long, conflicts_with = "password")]
        password_stdin: bool,
        #[arg(long)]
        password: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi { output }) = &cli.command {
        return print_spec(output.as_deref());
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("juhe: {e}");
            return ExitCode::from(2);
        }
    };
    let _log_writer = logging::init(&config);
    for name in crate::config::unknown_env_vars() {
        tracing::warn!(variable = %name, "ignoring {name}: not a configuration key (see the README's table)");
    }
    if let Err(e) = rustls::crypto::aws_lc_rs::default_provider().install_default() {
        tracing::debug!(?e, "rustls provider already installed");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("juhe: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("juhe: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Option<Command>, mut config: Config) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve { no_migrate: false, seed_demo: false }) {
        Command::Serve { no_migrate, seed_demo } => {
            if no_migrate {
                config.migrate_on_start = false;
            }
            // Bound before anything else is built, so that the banner, the demo's base_url and
            // every generated URL name the address really listened on (even with port 0).
            let (acceptor, bound) = server::bind(&config.bind).await?;
            config.follow_bound_address(bound);
            tracing::info!(config = %config.redacted(), "effective configuration");
            let state = wiring::build_state(config).await?;
            if seed_demo {
                let out = demo::seed_or_load(&state).await?;
                println!("{}", demo::banner(&out));
            }
            tracing::info!(%bound, "juhe listening on {bound}; API docs at {}/docs", state.config.public_url);
            server::serve(state, acceptor).await
        }
        Command::Worker => {
            tracing::info!(config = %config.redacted(), "effective configuration");
            let state = wiring::build_state(config).await?;
            tracing::info!("juhe worker running");
            server::work(state).await
        }
        Command::Migrate => {
            config.migrate_on_start = true;
            wiring::build_state(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo { json } => {
            config.migrate_on_start = true;
            let state = wiring::build_state(config).await?;
            let out = demo::seed(&state).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("{}", demo::banner(&out));
            }
            Ok(())
        }
        Command::Admin { command: AdminCommand::CreateUser { username, role, node_id, password_stdin, password } } => {
            let password = match (password_stdin, password) {
                (true, _) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s.trim_end_matches(['\r', '\n']).to_owned()
                }
                (false, Some(p)) => p,
                (false, None) => anyhow::bail!("give --password-stdin (or --password)"),
            };
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role:?}"))?;
            let state = wiring::build_state(config).await?;
            let platform = state.tenancy.ensure_platform("juhe").await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let new = NewUser { username, display_name: None, password: Secret::new(password), role, node_id };
            let user = state
                .auth
                .create_user_as_system(&platform.id, new, role.node_kind())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {} ({}) with id {}", user.username, user.role.as_str(), user.id);
            Ok(())
        }
        Command::Sandbox { bind, credentials_dir } => crate::sandbox_server::run(&config, bind, credentials_dir).await,
        Command::Openapi { .. } => Ok(()),
    }
}

fn print_spec(output: Option<&std::path::Path>) -> ExitCode {
    let spec = server::spec_json();
    let result = match output {
        Some(path) => std::fs::write(path, format!("{spec}\n")),
        None => {
            println!("{spec}");
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("juhe: cannot write the spec: {e}");
            ExitCode::FAILURE
        }
    }
}
