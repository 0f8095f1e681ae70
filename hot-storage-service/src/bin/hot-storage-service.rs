//! `hot-storage-service`: the hot-storage API and the iFrame's static files.

use clap::Parser;
use hot_storage_service::config::{HotCli, database_url, init_logging, load_keyring};
use hot_storage_service::server::Service;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = HotCli::parse();
    init_logging(cli.common.log_json);
    let settings = cli.settings();
    let url = database_url(&cli.database_url, &cli.common.data_dir, "hot-storage.db");
    let keyring = || {
        load_keyring(
            &cli.sealing_keys,
            &cli.sealing_key_file,
            cli.common.dev,
            &cli.common.data_dir,
            Service::Hot,
        )
    };
    hot_storage_service::run::run(
        Service::Hot,
        cli.command.clone(),
        settings,
        url,
        keyring,
        cli.listen,
    )
    .await
}
