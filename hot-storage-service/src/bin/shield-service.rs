//! `shield-service`: cold-share storage (Shield).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hot_storage_service::run::main(hot_storage_service::settings::Service::Shield).await
}
