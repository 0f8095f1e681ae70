//! `shield-service`: cold-share storage (Shield).

use clap::Parser;
use hot_storage_service::config::{ShieldCli, database_url, init_logging, load_keyring};
use hot_storage_service::server::Service;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = ShieldCli::parse();
    init_logging(cli.common.log_json);
    let settings = cli.settings();
    let url = database_url(&cli.database_url, &cli.common.data_dir, "shield.db");
    let keyring = || {
        load_keyring(
            &cli.sealing_keys,
            &cli.sealing_key_file,
            cli.common.dev,
            &cli.common.data_dir,
            Service::Shield,
        )
    };
    hot_storage_service::run::run(
        Service::Shield,
        cli.command.clone(),
        settings,
        url,
        keyring,
        cli.listen,
    )
    .await
}
