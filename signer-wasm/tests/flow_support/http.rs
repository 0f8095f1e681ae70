//! The services' HTTP clients (what web/services.rs does with fetch):
//! hot storage and Shield as implementations of the flows' service traits,
//! each request with its DPoP proof and, where the API asks, signed by the
//! wallet's authority.

use super::*;

/// Sends `rb` with `token` and a DPoP proof for its method and URL.
async fn send<T: DeserializeOwned>(
    rb: reqwest::RequestBuilder,
    token: &str,
) -> Result<T, ServiceError> {
    let (client, request) = rb.build_split();
    let mut request = request.map_err(|_| ServiceError::Protocol)?;
    let proof = DPOP.proof(request.method().as_str(), request.url().as_str(), token);
    let headers = request.headers_mut();
    headers.insert("authorization", format!("DPoP {token}").parse().unwrap());
    headers.insert("dpop", proof.parse().unwrap());
    let response = client
        .execute(request)
        .await
        .map_err(|_| ServiceError::Network)?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|_| ServiceError::Network)?;
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|_| ServiceError::Protocol)
    } else {
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let code = body["error"]["code"]
            .as_str()
            .map_or_else(|| format!("HTTP_{status}"), str::to_owned);
        if code == "POLICY_DENIED" {
            let why = body["error"]["message"].as_str().unwrap_or_default();
            return Err(ServiceError::Denied(why.to_owned()));
        }
        Err(ServiceError::Api { status, code })
    }
}

/// Unix seconds now (what the browser's `Date.now()` gives web/services.rs).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `rb` with `body` as JSON, signed by `authority` over `method`, `path`
/// and those very bytes (what web/services.rs `send_signed` does).
pub fn signed(
    rb: reqwest::RequestBuilder,
    method: &str,
    path: &str,
    body: Option<&impl serde::Serialize>,
    authority: &WalletAuthority,
) -> reqwest::RequestBuilder {
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let header = authority
        .sign_request(method, path, &bytes, unix_now())
        .unwrap();
    let rb = rb.header(AUTHORITY_HEADER, header.to_value());
    if body.is_some() {
        rb.header("content-type", "application/json").body(bytes)
    } else {
        rb
    }
}

/// Hot storage over HTTP (what web/services.rs does with fetch).
#[derive(Clone)]
pub struct HttpHot {
    pub(super) base: String,
    pub(super) http: reqwest::Client,
    /// Rewrites what `GET /v2/policy` answered: a dishonest operator.
    pub(super) tamper: Option<fn(&mut PolicyState)>,
    /// Every recover body sent, in order ([`HttpHot::recording`]).
    pub(super) recovers: Option<Rc<RefCell<Vec<RecoverWithIntent>>>>,
}

impl HttpHot {
    /// This client, keeping every recover body it sends (`recover_for`,
    /// and `recover` without an intent) in the list returned beside it.
    pub fn recording(self) -> (HttpHot, Rc<RefCell<Vec<RecoverWithIntent>>>) {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let hot = HttpHot {
            recovers: Some(sent.clone()),
            ..self
        };
        (hot, sent)
    }

    async fn post<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        token: &str,
        body: &B,
    ) -> Result<T, ServiceError> {
        send(
            self.http.post(format!("{}{path}", self.base)).json(body),
            token,
        )
        .await
    }

    async fn post_signed<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        path: &str,
        token: &str,
        body: &B,
        authority: &WalletAuthority,
    ) -> Result<T, ServiceError> {
        let rb = self.http.post(format!("{}{path}", self.base));
        send(signed(rb, "POST", path, Some(body), authority), token).await
    }
}

impl HotStorage for HttpHot {
    async fn wallet(&self, token: &Tokens) -> Result<Option<WalletResponse>, ServiceError> {
        match send(
            self.http.get(format!("{}/v2/wallet", self.base)),
            token.hot(),
        )
        .await
        {
            Ok(w) => Ok(Some(w)),
            Err(e) if e.is("NO_WALLET") => Ok(None),
            Err(e) => Err(e),
        }
    }
    async fn create(
        &self,
        token: &Tokens,
        body: &CreateRequest,
    ) -> Result<DeviceRef, ServiceError> {
        self.post("/v2/devices/create", token.hot(), body).await
    }
    async fn register(
        &self,
        token: &Tokens,
        body: &RegisterRequest,
        authority: &WalletAuthority,
    ) -> Result<DeviceRef, ServiceError> {
        self.post_signed("/v2/devices/register", token.hot(), body, authority)
            .await
    }
    async fn recover(
        &self,
        token: &Tokens,
        body: &RecoverRequest,
    ) -> Result<RecoverResponse, ServiceError> {
        if let Some(sent) = &self.recovers {
            sent.borrow_mut().push(body.clone().into());
        }
        self.post("/v2/devices/recover", token.hot(), body).await
    }
    async fn refresh(
        &self,
        token: &Tokens,
        body: &RefreshRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/refresh", token.hot(), body, authority)
            .await
    }
    async fn commit(
        &self,
        token: &Tokens,
        body: &CommitRequest,
        authority: &WalletAuthority,
    ) -> Result<VersionRef, ServiceError> {
        self.post_signed("/v2/devices/commit", token.hot(), body, authority)
            .await
    }
    async fn list(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<Vec<DeviceInfo>, ServiceError> {
        let list: DeviceList = self
            .post("/v2/devices/list", token.hot(), &WalletRequest { wallet })
            .await?;
        Ok(list.devices)
    }
    async fn revoke(
        &self,
        token: &Tokens,
        wallet: WalletId,
        device: DeviceId,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let _: OkBody = self
            .post_signed(
                "/v2/devices/revoke",
                token.hot(),
                &RevokeRequest { wallet, device },
                authority,
            )
            .await?;
        Ok(())
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: Some(wallet),
            authority: *key,
        };
        let _: OkBody = self
            .post("/v2/wallet/authority", token.hot(), &body)
            .await?;
        Ok(())
    }
    async fn policy(&self, token: &Tokens, wallet: WalletId) -> Result<PolicyState, ServiceError> {
        let mut state: PolicyState = send(
            self.http
                .get(format!("{}/v2/policy?wallet={wallet}", self.base)),
            token.hot(),
        )
        .await?;
        if let Some(tamper) = self.tamper {
            tamper(&mut state);
        }
        Ok(state)
    }
    async fn recover_for(
        &self,
        token: &Tokens,
        body: &RecoverWithIntent,
    ) -> Result<RecoverResponse, ServiceError> {
        if let Some(sent) = &self.recovers {
            sent.borrow_mut().push(body.clone());
        }
        self.post("/v2/devices/recover", token.hot(), body).await
    }
    async fn approval(
        &self,
        token: &Tokens,
        body: &ApprovalRequest,
    ) -> Result<ApprovalResponse, ServiceError> {
        self.post("/v2/policy/approvals", token.hot(), body).await
    }
    async fn report(&self, token: &Tokens, body: &ActivityReport) -> Result<(), ServiceError> {
        let _: OkBody = self.post("/v2/activity", token.hot(), body).await?;
        Ok(())
    }
    async fn activity(
        &self,
        token: &Tokens,
        wallet: WalletId,
        limit: u32,
    ) -> Result<ActivityList, ServiceError> {
        send(
            self.http.get(format!(
                "{}/v2/activity?wallet={wallet}&limit={limit}",
                self.base
            )),
            token.hot(),
        )
        .await
    }
    async fn put_user_rules(
        &self,
        token: &Tokens,
        body: &SignedUserRules,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let path = "/v2/policy/user-rules";
        let rb = self.http.put(format!("{}{path}", self.base));
        let _: OkBody = send(signed(rb, "PUT", path, Some(body), authority), token.hot()).await?;
        Ok(())
    }
}

/// Shield over HTTP.
#[derive(Clone)]
pub struct HttpShield {
    pub(super) base: String,
    pub(super) http: reqwest::Client,
}

impl Shield for HttpShield {
    async fn create(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: Option<&AuthorityKey>,
    ) -> Result<(), ServiceError> {
        let body = ColdCreate {
            wallet,
            record: record.clone(),
            authority: authority.copied(),
        };
        let _: Created = send(
            self.http
                .post(format!("{}/v1/cold-shares", self.base))
                .json(&body),
            token.shield(),
        )
        .await?;
        Ok(())
    }
    async fn replace(
        &self,
        token: &Tokens,
        wallet: WalletId,
        record: &ColdRecord,
        authority: &WalletAuthority,
    ) -> Result<(), ServiceError> {
        let path = format!("/v1/cold-shares/{wallet}");
        let rb = self.http.put(format!("{}{path}", self.base));
        let _: ColdRecordResponse = send(
            signed(rb, "PUT", &path, Some(record), authority),
            token.shield(),
        )
        .await?;
        Ok(())
    }
    async fn get(
        &self,
        token: &Tokens,
        wallet: WalletId,
    ) -> Result<ColdRecordResponse, ServiceError> {
        send(
            self.http
                .get(format!("{}/v1/cold-shares/{wallet}", self.base)),
            token.shield(),
        )
        .await
    }
    async fn register_authority(
        &self,
        token: &Tokens,
        wallet: WalletId,
        key: &AuthorityKey,
    ) -> Result<(), ServiceError> {
        let body = RegisterAuthority {
            wallet: None,
            authority: *key,
        };
        let _: OkBody = send(
            self.http
                .put(format!("{}/v1/cold-shares/{wallet}/authority", self.base))
                .json(&body),
            token.shield(),
        )
        .await?;
        Ok(())
    }
}
