//! `hot-storage-service`: the hot-storage API and the iFrame's static files.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hot_storage_service::run::main(hot_storage_service::settings::Service::Hot).await
}
