//! The wallet's own authority in the flows, against the real services
//! (docs/api.md, "Wallet authority"): the wallet signs, refreshes, revokes
//! a device and rotates its recovery pair with its authority's signatures;
//! someone holding only the user's tokens cannot delete or replace the cold
//! share, revoke a device, add one, or stage and commit a foreign share,
//! and afterwards the wallet still signs and recovers; a wallet created
//! without an authority key registers one on its next use.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow_support;

use flow_support::*;
use keyframe_signer::authority::{AuthorityKey, WalletAuthority};
use keyframe_signer::flows::{HotStorage, RecoverResponse, ServiceError, Shield};
use keyframe_signer::recovery::ColdRecord;
use keyframe_signer::shares::{DeviceId, RandomId, WalletId};
use keyframe_wire::hot::{CreateRequest, DeviceRef, RecoverRequest, WalletResponse};
use keyframe_wire::policy::{
    ActivityList, ActivityReport, ApprovalRequest, ApprovalResponse, PolicyState,
    RecoverWithIntent, SignedUserRules,
};
use keyframe_wire::shield::ColdRecordResponse;
use serde_json::{Value, json};

/// The authority the flows derive for `wallet` from the test mnemonic.
fn expected_authority(wallet: WalletId) -> AuthorityKey {
    WalletAuthority::derive(&mnemonic(), wallet)
        .unwrap()
        .public_key()
}

/// The device's current version at hot storage.
async fn version(services: &Services, token: &Tokens, wallet: WalletId, device: DeviceId) -> u64 {
    let r: RecoverResponse = services
        .hot_api()
        .recover(
            token,
            &RecoverRequest {
                wallet,
                device: Some(device),
                version: None,
                split: None,
            },
        )
        .await
        .unwrap();
    r.version
}

#[tokio::test]
async fn the_wallet_acts_with_its_authority() {
    let services = Services::start().await;
    let (laptop_store, phone_store) = (MemoryStore::default(), MemoryStore::default());
    let (laptop, phone) = (services.tab(&laptop_store), services.tab(&phone_store));
    let token = token(&user());
    let key = recovery_key();
    let created = laptop
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let wallet = &created.wallet;
    let id = wallet.wallet;
    // Both services hold the key the flows derive.
    let expected = expected_authority(id);
    assert_eq!(wallet.authority, Some(expected));
    let hot = services.hot_api().wallet(&token).await.unwrap().unwrap();
    assert_eq!(hot.authority, Some(expected));
    let cold = services.shield_api().get(&token, id).await.unwrap();
    assert_eq!(cold.authority, Some(expected));

    // Sign, then the signed refresh and commit move the pair on.
    assert_eq!(
        sign_and_refresh(&laptop, &token, wallet).await.unwrap(),
        EVM
    );
    assert_eq!(version(&services, &token, id, created.device).await, 1);

    // A recovery registers the phone under the authority.
    let phone_device = phone
        .recover(&token, &automatic(&key))
        .await
        .unwrap()
        .device;
    assert_eq!(sign_and_refresh(&phone, &token, wallet).await.unwrap(), EVM);
    assert_eq!(version(&services, &token, id, phone_device).await, 1);

    // The laptop revokes the phone with a signed request.
    let refresh = laptop
        .revoke_device(&token, wallet, phone_device)
        .await
        .unwrap();
    laptop.refresh(refresh).await;
    assert_eq!(version(&services, &token, id, created.device).await, 2);
    let listed = laptop.list_devices(&token, wallet).await.unwrap();
    assert_eq!(listed.devices.len(), 1);
    assert_eq!(listed.devices[0].device, created.device);

    // The recovery pair rotates with signed steps; the new key recovers.
    let new_key = recovery_key();
    let refresh = laptop
        .set_recovery(&token, wallet, &automatic(&key), &automatic(&new_key))
        .await
        .unwrap();
    laptop.refresh(refresh).await;
    let primary = services
        .hot_api()
        .recover(&token, &RecoverRequest::primary(id))
        .await
        .unwrap();
    assert_eq!(primary.version, 1);
    let fresh = MemoryStore::default();
    let tablet = services.tab(&fresh);
    tablet.recover(&token, &automatic(&new_key)).await.unwrap();
    assert_eq!(
        sign_and_refresh(&tablet, &token, wallet).await.unwrap(),
        EVM
    );
}

/// Plain HTTP with the user's tokens and nothing else: what a host page's
/// script, or anyone who saw a request, can send.
struct TokenHolder {
    http: reqwest::Client,
    hot: String,
    shield: String,
    tokens: Tokens,
}

impl TokenHolder {
    async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        // The strongest token holder: one with tokens bound to a key it
        // holds (the host page can ask the dApp for those), so every
        // request carries a valid DPoP proof.
        let rb = match body {
            Some(b) => rb.json(&b),
            None => rb,
        };
        let response = self.http.execute(with_proof(rb, token)).await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
    async fn hot(&self, path: &str, body: Value) -> (u16, Value) {
        let rb = self.http.post(format!("{}{path}", self.hot));
        self.send(rb, self.tokens.hot(), Some(body)).await
    }
    async fn shield(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let rb = self.http.request(method, format!("{}{path}", self.shield));
        self.send(rb, self.tokens.shield(), body).await
    }
}

/// `rb` with `token` under the DPoP scheme and a fresh proof by the test
/// clients' key (flow_support's `DPOP`, which the tokens are bound to).
fn with_proof(rb: reqwest::RequestBuilder, token: &str) -> reqwest::Request {
    let mut request = rb.build().unwrap();
    let proof = DPOP.proof(request.method().as_str(), request.url().as_str(), token);
    let headers = request.headers_mut();
    headers.insert("authorization", format!("DPoP {token}").parse().unwrap());
    headers.insert("dpop", proof.parse().unwrap());
    request
}

fn refused((status, body): (u16, Value), what: &str) {
    assert_eq!(status, 403, "{what}: {body}");
    assert_eq!(
        body["error"]["code"], "AUTHORITY_REQUIRED",
        "{what}: {body}"
    );
}

#[tokio::test]
async fn a_token_holder_cannot_destroy_or_rekey_the_wallet() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let tab = services.tab(&store);
    let token = token(&user());
    let key = recovery_key();
    let created = tab
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let wallet = &created.wallet;
    let id = wallet.wallet;
    assert_eq!(sign_and_refresh(&tab, &token, wallet).await.unwrap(), EVM);

    let thief = TokenHolder {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        hot: services.hot.clone(),
        shield: services.shield.clone(),
        tokens: token.clone(),
    };
    let cold_path = format!("/v1/cold-shares/{id}");
    let before = services.shield_api().get(&token, id).await.unwrap();
    let garbage = json!({ "method": "automatic", "params": {}, "ciphertext": "AQID" });
    refused(
        thief
            .shield(reqwest::Method::DELETE, &cold_path, None)
            .await,
        "delete the cold share",
    );
    refused(
        thief
            .shield(reqwest::Method::PUT, &cold_path, Some(garbage.clone()))
            .await,
        "replace the cold share",
    );
    refused(
        thief
            .hot(
                "/v2/devices/revoke",
                json!({ "wallet": id, "device": created.device }),
            )
            .await,
        "revoke the device",
    );
    let thief_device = DeviceId::random(&mut keyframe_signer::secret::OsRng).unwrap();
    refused(
        thief
            .hot(
                "/v2/devices/register",
                json!({ "wallet": id, "device": thief_device,
                "split": "00112233445566778899aabbccddeeff", "share": "AQID", "ephemeral": false }),
            )
            .await,
        "register a device",
    );
    let foreign = "ffeeddccbbaa99887766554433221100";
    refused(
        thief
            .hot(
                "/v2/devices/refresh",
                json!({ "wallet": id, "device": created.device,
                "version": 1, "split": foreign, "share": "AQID" }),
            )
            .await,
        "stage a foreign share",
    );
    refused(
        thief
            .hot(
                "/v2/devices/commit",
                json!({ "wallet": id, "device": created.device,
                "version": 2, "split": foreign }),
            )
            .await,
        "commit a foreign share",
    );
    refused(
        thief
            .hot(
                "/v2/devices/refresh",
                json!({ "wallet": id,
                "device": "00000000-0000-0000-0000-000000000000",
                "version": 0, "split": foreign, "share": "AQID" }),
            )
            .await,
        "stage a foreign recovery share",
    );
    // Nor can the thief put a key of their own in place of the wallet's.
    let theirs = json!({ "wallet": id, "authority": "A".repeat(43) });
    let (status, body) = thief.hot("/v2/wallet/authority", theirs).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("AUTHORITY_EXISTS"))
    );
    let (status, body) = thief
        .shield(
            reqwest::Method::PUT,
            &format!("{cold_path}/authority"),
            Some(json!({ "authority": "A".repeat(43) })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("AUTHORITY_EXISTS"))
    );

    // Nothing changed: the same cold record, the same single device.
    let after = services.shield_api().get(&token, id).await.unwrap();
    assert_eq!(after.record, before.record);
    let listed = tab.list_devices(&token, wallet).await.unwrap();
    assert_eq!(listed.devices.len(), 1);
    // The wallet still signs (and refreshes), and still recovers elsewhere.
    assert_eq!(sign_and_refresh(&tab, &token, wallet).await.unwrap(), EVM);
    assert_eq!(version(&services, &token, id, created.device).await, 2);
    let other = MemoryStore::default();
    let phone = services.tab(&other);
    phone.recover(&token, &automatic(&key)).await.unwrap();
    assert_eq!(sign_and_refresh(&phone, &token, wallet).await.unwrap(), EVM);
}

/// Services as an iFrame from before authority keys used them: creation
/// bodies carry no key.
struct Old<T>(T);

impl HotStorage for Old<HttpHot> {
    async fn wallet(&self, t: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        self.0.wallet(t).await
    }
    async fn create(&self, t: &Tokens, body: &CreateRequest) -> Result<DeviceRef, ServiceError> {
        let mut body = body.clone();
        body.authority = None;
        self.0.create(t, &body).await
    }
    async fn register(
        &self,
        t: &Tokens,
        b: &keyframe_wire::hot::RegisterRequest,
        a: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.0.register(t, b, a).await
    }
    async fn recover(
        &self,
        t: &Tokens,
        b: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        self.0.recover(t, b).await
    }
    async fn refresh(
        &self,
        t: &Tokens,
        b: &keyframe_wire::hot::RefreshRequest,
        a: &WalletAuthority,
    ) -> Result<keyframe_wire::hot::VersionRef, ServiceError> {
        self.0.refresh(t, b, a).await
    }
    async fn commit(
        &self,
        t: &Tokens,
        b: &keyframe_wire::hot::CommitRequest,
        a: &WalletAuthority,
    ) -> Result<keyframe_wire::hot::VersionRef, ServiceError> {
        self.0.commit(t, b, a).await
    }
    async fn list(
        &self,
        t: &Tokens,
        w: WalletId,
    ) -> Result<Vec<keyframe_signer::flows::DeviceInfo>, ServiceError> {
        self.0.list(t, w).await
    }
    async fn revoke(
        &self,
        t: &Tokens,
        w: WalletId,
        d: DeviceId,
        a: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.0.revoke(t, w, d, a).await
    }
    async fn register_authority(
        &self,
        t: &Tokens,
        w: WalletId,
        k: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        self.0.register_authority(t, w, k).await
    }
    async fn policy(&self, t: &Tokens, w: WalletId) -> Result<PolicyState, ServiceError> {
        self.0.policy(t, w).await
    }
    async fn recover_for(
        &self,
        t: &Tokens,
        b: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        self.0.recover_for(t, b).await
    }
    async fn approval(
        &self,
        t: &Tokens,
        b: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        self.0.approval(t, b).await
    }
    async fn report(&self, t: &Tokens, b: &ActivityReport) -> Result<(), ServiceError> {
        self.0.report(t, b).await
    }
    async fn activity(
        &self,
        t: &Tokens,
        w: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        self.0.activity(t, w, limit).await
    }
    async fn put_user_rules(
        &self,
        t: &Tokens,
        b: &SignedUserRules,
        a: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.0.put_user_rules(t, b, a).await
    }
}

impl Shield for Old<HttpShield> {
    async fn create(
        &self,
        t: &Tokens,
        w: WalletId,
        r: &ColdRecord,
        _: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        self.0.create(t, w, r, None).await
    }
    async fn replace(
        &self,
        t: &Tokens,
        w: WalletId,
        r: &ColdRecord,
        a: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        self.0.replace(t, w, r, a).await
    }
    async fn get(&self, t: &Tokens, w: WalletId) -> Result<ColdRecordResponse, ServiceError> {
        self.0.get(t, w).await
    }
    async fn register_authority(
        &self,
        t: &Tokens,
        w: WalletId,
        k: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        self.0.register_authority(t, w, k).await
    }
}

#[tokio::test]
async fn a_wallet_without_an_authority_registers_it_on_next_use() {
    let services = Services::start().await;
    let store = MemoryStore::default();
    let old = keyframe_signer::flows::Flows::with(
        Old(services.hot_api()),
        Old(services.shield_api()),
        store.clone(),
        ApproveAll,
        keyframe_signer::flows::NoClock,
    );
    let token = token(&user());
    let key = recovery_key();
    let created = old
        .create(&token, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let id = created.wallet.wallet;
    // An old wallet: neither service has a key.
    let hot = services.hot_api().wallet(&token).await.unwrap().unwrap();
    assert_eq!(hot.authority, None);
    assert_eq!(
        services
            .shield_api()
            .get(&token, id)
            .await
            .unwrap()
            .authority,
        None
    );

    // Its next use, by today's iFrame, registers the derived key with both.
    let tab = services.tab(&store);
    let wallet = tab.wallet(&token).await.unwrap().unwrap();
    assert_eq!(wallet.authority, None);
    assert_eq!(sign_and_refresh(&tab, &token, &wallet).await.unwrap(), EVM);
    let expected = expected_authority(id);
    let hot = services.hot_api().wallet(&token).await.unwrap().unwrap();
    assert_eq!(hot.authority, Some(expected));
    assert_eq!(
        services
            .shield_api()
            .get(&token, id)
            .await
            .unwrap()
            .authority,
        Some(expected)
    );
    // The refresh after that signature was signed and committed.
    assert_eq!(version(&services, &token, id, created.device).await, 1);
    // From then on the window is shut for a token holder.
    let (status, _) = {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let rb = http
            .post(format!("{}/v2/wallet/authority", services.hot))
            .json(&json!({ "wallet": id, "authority": "A".repeat(43) }));
        let r = http.execute(with_proof(rb, token.hot())).await.unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 409);
    // Still signs with the record it read before (the key is registered
    // once per tab; the 409 on a repeat is taken as done).
    assert_eq!(sign_and_refresh(&tab, &token, &wallet).await.unwrap(), EVM);
    assert_eq!(version(&services, &token, id, created.device).await, 2);

    // A recovery of an old wallet registers the key before it adds the
    // device (here on a second old wallet, recovered first).
    let token2 = flow_support::token(&user());
    let other_store = MemoryStore::default();
    let old2 = keyframe_signer::flows::Flows::with(
        Old(services.hot_api()),
        Old(services.shield_api()),
        other_store,
        ApproveAll,
        keyframe_signer::flows::NoClock,
    );
    let created2 = old2
        .create(&token2, mnemonic(), &automatic(&key), false)
        .await
        .unwrap();
    let fresh = MemoryStore::default();
    let phone = services.tab(&fresh);
    phone.recover(&token2, &automatic(&key)).await.unwrap();
    let expected2 = expected_authority(created2.wallet.wallet);
    let hot2 = services.hot_api().wallet(&token2).await.unwrap().unwrap();
    assert_eq!(hot2.authority, Some(expected2));
    assert_eq!(
        services
            .shield_api()
            .get(&token2, created2.wallet.wallet)
            .await
            .unwrap()
            .authority,
        Some(expected2)
    );
}
