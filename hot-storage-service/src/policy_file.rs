//! The operator's policy (`--policy-file`, docs/policy.md): read and
//! checked at start — a file that is not a valid policy stops the service
//! with the error naming the rule and the field — and reloaded on SIGHUP
//! (`run.rs`), where a bad file keeps the policy in force and logs why.
//! Without a file the policy asks about everything.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use keyframe_policy::Policy;

/// The policy in force and the file it came from.
#[derive(Debug, Default)]
pub struct PolicyFile {
    path: Option<PathBuf>,
    current: RwLock<Arc<Policy>>,
}

fn read(path: &Path) -> anyhow::Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("policy file {}", path.display()))?;
    Policy::from_json(&text).map_err(|e| anyhow::anyhow!("policy file {}: {e}", path.display()))
}

impl PolicyFile {
    /// Reads and checks `path`; none gives the ask-everything policy.
    pub fn load(path: Option<&Path>) -> anyhow::Result<PolicyFile> {
        let policy = match path {
            Some(p) => read(p)?,
            None => Policy::default(),
        };
        Ok(PolicyFile::with(path.map(Path::to_path_buf), policy))
    }

    /// A policy given in code (tests), reloaded from `path` if one is given.
    pub fn with(path: Option<PathBuf>, policy: Policy) -> PolicyFile {
        PolicyFile {
            path,
            current: RwLock::new(Arc::new(policy)),
        }
    }

    /// The policy in force.
    pub fn current(&self) -> Arc<Policy> {
        self.current
            .read()
            .map_or_else(|e| e.into_inner().clone(), |p| p.clone())
    }

    /// Reads the file again. On success the new policy is in force and the
    /// number of its rules is returned; on failure the old one stays and
    /// the error (naming the rule and field) is returned. Without a file
    /// there is nothing to reload (`Ok(None)`).
    pub fn reload(&self) -> anyhow::Result<Option<usize>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        let policy = read(path)?;
        let rules = policy.document().rules.len();
        let mut slot = self.current.write().unwrap_or_else(|e| e.into_inner());
        *slot = Arc::new(policy);
        Ok(Some(rules))
    }

    /// [`PolicyFile::reload`], logged: what `run.rs` does on SIGHUP.
    pub fn reload_logged(&self) {
        match self.reload() {
            Ok(Some(rules)) => tracing::info!(rules, "policy reloaded"),
            Ok(None) => tracing::info!("SIGHUP: no --policy-file to reload"),
            Err(e) => {
                tracing::error!(error = %e, "policy reload refused; the previous policy stays in force")
            }
        }
    }
}
