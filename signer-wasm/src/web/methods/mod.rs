//! The iFrame's methods (docs/api.md) as a table: name → handler. A handler
//! reads its params, runs a flow of the core and shapes the answer; a method
//! that used the key returns the refresh that must follow. The handlers are
//! grouped by family:
//!
//! * [`session`]: tokens, status, chains and accounts (no key used);
//! * [`wallet`]: the wallet's lifecycle (create, import, recover, devices,
//!   export, backup, recovery method);
//! * [`signing`]: the signing methods, each read through `crate::signing`;
//! * [`policy`]: the policy simulator and the activity log.

use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use super::signer::{Answer, Signer};
use keyframe_wire::rpc::Method;

type Handler = for<'a> fn(&'a Signer, &'a Value) -> LocalBoxFuture<'a, Answer<'a>>;

/// Defines a handler: `$s` is the signer, `$p` the params; the body is
/// async and evaluates to an [`Answer`].
macro_rules! handler {
    ($name:ident($s:ident, $p:ident) $body:block) => {
        #[allow(unused_variables)]
        pub(super) fn $name<'a>(
            $s: &'a $crate::web::signer::Signer,
            $p: &'a ::serde_json::Value,
        ) -> ::futures_util::future::LocalBoxFuture<'a, $crate::web::signer::Answer<'a>> {
            Box::pin(async move { $body })
        }
    };
}

mod policy;
mod session;
mod signing;
mod wallet;

/// Where a method runs.
pub enum Route {
    /// In this module, by this handler.
    Here(Handler),
    /// In the second module, which this one loads and hands the session
    /// to (web/handover.rs): a method of [`in_second_module`] in a module
    /// built without the `all-methods` feature.
    SecondModule,
}

/// The methods that most sessions never call: the wallet's lifecycle
/// (create, import, recover, devices, export, recovery method, backup
/// file), the simulator and the activity log. The first module the iFrame
/// loads is built without them, and is the smaller by what only they reach
/// (bench/SIZE.md, "Two modules").
pub fn in_second_module(method: Method) -> bool {
    matches!(
        method,
        Method::CreateWallet
            | Method::ImportWallet
            | Method::Recover
            | Method::ListDevices
            | Method::RevokeDevice
            | Method::Export
            | Method::SetRecovery
            | Method::DownloadBackup
            | Method::Simulate
            | Method::Activity
    )
}

/// The handler of each method the iFrame answers. The names are the wire
/// crate's closed list ([`Method`]); the match is exhaustive, so a method
/// added there does not compile until it has a handler here.
fn handler(method: Method) -> Handler {
    match method {
        Method::Ping => session::ping,
        Method::SetAuth => session::set_auth,
        Method::Status => session::status,
        Method::Chains => session::chains,
        Method::Logout => session::logout,
        Method::CreateWallet => wallet::create_wallet,
        Method::ImportWallet => wallet::import_wallet,
        Method::Recover => wallet::recover,
        Method::ListDevices => wallet::list_devices,
        Method::RevokeDevice => wallet::revoke_device,
        Method::Export => wallet::export,
        Method::SetRecovery => wallet::set_recovery,
        Method::DownloadBackup => wallet::download_backup,
        Method::EthAccounts => session::eth_accounts,
        Method::EthRequestAccounts => session::eth_request_accounts,
        Method::EthChainId => session::eth_chain_id,
        Method::SwitchEthereumChain => session::switch_chain,
        Method::PersonalSign => signing::personal_sign,
        Method::EthSignTypedDataV4 => signing::sign_typed_data,
        Method::EthSignTransaction => signing::sign_transaction,
        Method::SignTransactions => signing::sign_transactions,
        Method::SolanaSignMessage => signing::solana_sign_message,
        Method::SolanaSignTransaction => signing::solana_sign_transaction,
        Method::EthSign => signing::eth_sign,
        Method::Simulate => policy::simulate,
        Method::Activity => policy::activity,
    }
}

/// Where `method` runs, if the iFrame has it. Built without `all-methods`,
/// the table's lifecycle entries are never read, so the optimiser drops
/// their handlers and everything only they reach.
pub fn find(method: &str) -> Option<Route> {
    let method = Method::from_wire(method)?;
    if !cfg!(feature = "all-methods") && in_second_module(method) {
        return Some(Route::SecondModule);
    }
    Some(Route::Here(handler(method)))
}

/// An answer with no refresh after it.
fn plain<'a>(value: Value) -> Answer<'a> {
    Ok((value, None))
}
