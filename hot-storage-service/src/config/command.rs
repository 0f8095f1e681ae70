//! The subcommands both binaries take (serve, reseal, generate a key,
//! measure DPoP).

use clap::Subcommand;

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Re-seal every stored share under the current key, then exit.
    /// `--new-key KID:BASE64` makes that key current for this run (the
    /// configured keys still open old rows); afterwards configure it first
    /// and drop the old key.
    Reseal {
        #[arg(long)]
        new_key: Option<String>,
    },
    /// Print a fresh random sealing key `KID:BASE64` and exit.
    GenerateKey {
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Measure what checking one DPoP proof costs on this machine (the
    /// signature and claims, without the replay record) and print it as
    /// JSON: `{ "proofs", "microsPerProof" }`.
    MeasureDpop {
        #[arg(long, default_value_t = 2000)]
        proofs: u32,
    },
}
