//! `shield-service`: cold-share storage (Shield).

// mimalloc, not glibc's malloc: a request allocates and frees many small
// buffers across tokio's threads, and glibc's arenas spent about a tenth
// of hot storage's CPU under load (docs/services.md, "Sixteenth pass").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hot_storage_service::run::main(hot_storage_service::settings::Service::Shield).await
}
