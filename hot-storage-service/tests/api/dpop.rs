//! Sender-constrained tokens (RFC 9449) and one audience per service: a
//! token without its key's proof, or meant for the other service, opens
//! nothing and changes nothing (issue 11 items 1 and 2).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::dual;
use hot_storage_service::dpop::ProofKey;
use hot_storage_service::server::Service;

/// Request headers, name and value.
type Headers<'a> = Vec<(&'a str, String)>;

/// Sends `POST /v2/devices/create` for a fresh wallet of `sub` with the
/// given headers; answers the status and body.
async fn create_with(srv: &Srv, w: &Wallet, headers: &[(&str, String)]) -> (StatusCode, Value) {
    let mut rb = srv
        .http
        .post(format!("{}/v2/devices/create", srv.base))
        .json(&create_body(w, false));
    for (name, value) in headers {
        rb = rb.header(*name, value);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn refused(db: Db) {
    let srv = Srv::hot(db).await;
    let url = format!("{}/v2/devices/create", srv.base);
    let w = new_wallet("mallory-target");
    let t = w.token.clone();
    let other_key = ProofKey::generate().unwrap();
    let unbound = Signer::ed("ed1", "ed1").sign(&{
        let mut c = claims("mallory-target");
        c.as_object_mut().unwrap().remove("cnf");
        c
    });
    let dpop_auth = format!("DPoP {t}");
    let cases: Vec<(&str, Headers, &str)> = vec![
        (
            "no proof",
            vec![("authorization", dpop_auth.clone())],
            "DPOP_INVALID",
        ),
        (
            "bound token as Bearer, with a proof",
            vec![
                ("authorization", format!("Bearer {t}")),
                ("dpop", DPOP.proof("POST", &url, &t)),
            ],
            "AUTH_REQUIRED",
        ),
        (
            "token not bound to any key",
            vec![
                ("authorization", format!("DPoP {unbound}")),
                ("dpop", DPOP.proof("POST", &url, &unbound)),
            ],
            "AUTH_REQUIRED",
        ),
        (
            "proof for another URL",
            vec![
                ("authorization", dpop_auth.clone()),
                (
                    "dpop",
                    DPOP.proof("POST", &format!("{}/v2/devices/register", srv.base), &t),
                ),
            ],
            "DPOP_INVALID",
        ),
        (
            "proof for another method",
            vec![
                ("authorization", dpop_auth.clone()),
                ("dpop", DPOP.proof("GET", &url, &t)),
            ],
            "DPOP_INVALID",
        ),
        (
            "proof for another token",
            vec![
                ("authorization", dpop_auth.clone()),
                ("dpop", DPOP.proof("POST", &url, &token("someone-else"))),
            ],
            "DPOP_INVALID",
        ),
        (
            "proof older than the window",
            vec![
                ("authorization", dpop_auth.clone()),
                (
                    "dpop",
                    DPOP.proof_at("POST", &url, &t, (now() - 120) as u64),
                ),
            ],
            "DPOP_INVALID",
        ),
        (
            "proof signed by another key",
            vec![
                ("authorization", dpop_auth.clone()),
                ("dpop", other_key.proof("POST", &url, &t)),
            ],
            "DPOP_INVALID",
        ),
        (
            "two proofs",
            vec![
                ("authorization", dpop_auth.clone()),
                ("dpop", DPOP.proof("POST", &url, &t)),
                ("dpop", DPOP.proof("POST", &url, &t)),
            ],
            "DPOP_INVALID",
        ),
    ];
    for (name, headers, code) in &cases {
        let (st, body) = create_with(&srv, &w, headers).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["error"]["code"], *code, "{name}: {body}");
    }
    // Nothing was created by any of them.
    let (st, body) = srv.get("/v2/wallet", Some(&t)).await;
    assert_error(st, &body, 404, "NO_WALLET");

    // A proof is good once: the replay is refused and changes nothing.
    let proof = DPOP.proof("POST", &url, &t);
    let headers = [("authorization", dpop_auth.clone()), ("dpop", proof)];
    let (st, body) = create_with(&srv, &w, &headers).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let again = new_wallet("mallory-target");
    let (st, body) = create_with(&srv, &again, &headers).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "DPOP_INVALID");
    let (_, body) = srv.get("/v2/wallet", Some(&t)).await;
    assert_eq!(
        body["wallet"],
        json!(w.wallet),
        "the replay changed nothing"
    );
}
dual!(refused_without_a_valid_proof, refused);

/// Two hot-storage processes on one database (behind one public URL):
/// a proof one of them accepted is refused by the other.
async fn replicas(db: Db) {
    let a = Srv::hot(db).await;
    let public = a.base.clone();
    let b = Srv::start_with(
        db,
        Service::Hot,
        tempfile::tempdir().unwrap(),
        a.db_url.clone(),
        test_keyring(),
        Some(a.jwks.clone()),
        |s| s.dpop.public_url = public,
    )
    .await;
    let w = create_wallet(&a, "replicated").await;
    // The proof names A's URL (the public one); B serves the same URL.
    let url = format!("{}/v2/wallet", a.base);
    let proof = DPOP.proof("GET", &url, &w.token);
    let get = |srv: &Srv| {
        srv.http
            .get(format!("{}/v2/wallet", srv.base))
            .header("authorization", format!("DPoP {}", w.token))
            .header("dpop", proof.clone())
            .send()
    };
    let first = get(&a).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK, "{:?}", first.text().await);
    let resp = get(&b).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "DPOP_INVALID");
    // A fresh proof (for the public URL) works at B: it is the same service.
    let fresh = dpop(
        b.http.get(format!("{}/v2/wallet", b.base)),
        "GET",
        &url,
        &w.token,
    );
    assert_eq!(fresh.send().await.unwrap().status(), StatusCode::OK);
}
dual!(a_proof_seen_by_one_replica_is_refused_by_another, replicas);

/// Proofs are recorded in batches (crate::replay::ReplayLog): one proof
/// sent 16 times at once is accepted once, and 16 distinct proofs sent at
/// once are all accepted.
async fn concurrent(db: Db) {
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "batched").await;
    let url = format!("{}/v2/wallet", srv.base);
    let send = |proof: String| {
        srv.http
            .get(&url)
            .header("authorization", format!("DPoP {}", w.token))
            .header("dpop", proof)
            .send()
    };
    let statuses = |rs: Vec<reqwest::Result<reqwest::Response>>| {
        rs.into_iter()
            .map(|r| r.unwrap().status())
            .collect::<Vec<_>>()
    };
    let same = DPOP.proof("GET", &url, &w.token);
    let got = statuses(futures_util::future::join_all((0..16).map(|_| send(same.clone()))).await);
    let ok = got.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = got
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((ok, refused), (1, 15), "{got:?}");
    let got = statuses(
        futures_util::future::join_all((0..16).map(|_| send(DPOP.proof("GET", &url, &w.token))))
            .await,
    );
    assert!(got.iter().all(|s| *s == StatusCode::OK), "{got:?}");
}
dual!(a_proof_sent_many_times_at_once_is_accepted_once, concurrent);

/// The pruner (crate::replay::prune) deletes every record whose proof can
/// no longer pass its window, more than a chunk of them, and keeps the
/// records of proofs that still could: a proof used before the prune is
/// still refused after it.
async fn pruned(db: Db) {
    use hot_storage_service::{db::DELETE_CHUNK, replay::prune};
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "pruned").await;
    let url = format!("{}/v2/wallet", srv.base);
    let proof = DPOP.proof("GET", &url, &w.token);
    let get = || srv.get_with_proof(&url, &w.token, &proof);
    assert_eq!(get().await, StatusCode::OK);

    let raw = srv.raw_pool().await;
    let expired = usize::try_from(DELETE_CHUNK).unwrap() * 2 + 345;
    for start in (0..expired).step_by(500) {
        let rows: Vec<String> = (start..expired.min(start + 500))
            .map(|i| format!("('dpop', 'expired-{i}', {})", 1_000 + i))
            .collect();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO seen_once (scope, id, expires_at) VALUES {}",
            rows.join(", ")
        )))
        .execute(&raw)
        .await
        .unwrap();
    }
    let count = |sql: &'static str| {
        let raw = raw.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&raw)
                .await
                .unwrap()
        }
    };
    let live = count("SELECT count(*) FROM seen_once WHERE id NOT LIKE 'expired-%'").await;
    assert!(live >= 1, "the request's proof was recorded");

    let deleted = prune(&srv.state.db, hot_storage_service::db::now_ms())
        .await
        .unwrap();
    assert_eq!(deleted, u64::try_from(expired).unwrap());
    assert_eq!(
        count("SELECT count(*) FROM seen_once WHERE id LIKE 'expired-%'").await,
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM seen_once WHERE id NOT LIKE 'expired-%'").await,
        live
    );
    let again = get().await;
    assert_eq!(again, StatusCode::UNAUTHORIZED, "a replay after the prune");
}
dual!(
    expired_replay_records_are_pruned_in_chunks_and_live_ones_kept,
    pruned
);

/// A replica whose clock runs ahead prunes by its own clock, while the
/// others still accept a proof by theirs: a record outlives its proof's
/// window by `replay::CLOCK_MARGIN_SECS`, so a proof 55 s old (5 s left
/// in the 60 s window), pruned by a replica 8 s ahead, is still refused
/// when it comes again. The same holds for a wallet-authority signature
/// (300 s window). Both fail without the margin.
async fn pruned_by_a_clock_ahead(db: Db) {
    use hot_storage_service::replay::prune;
    let srv = Srv::hot(db).await;
    let w = create_wallet(&srv, "skewed").await;
    let url = format!("{}/v2/wallet", srv.base);
    let now_secs = u64::try_from(now()).unwrap();
    let proof = DPOP.proof_at("GET", &url, &w.token, now_secs - 55);
    let get = || srv.get_with_proof(&url, &w.token, &proof);
    assert_eq!(get().await, StatusCode::OK);

    let path = "/v2/devices/refresh";
    let body = json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": split(), "share": b64(b"next") });
    let bytes = serde_json::to_vec(&body).unwrap();
    let header = sign(&test_authority(), "POST", path, &bytes, now_secs - 295);
    let refresh = || {
        srv.send_as(
            reqwest::Method::POST,
            path,
            Some(&w.token),
            Some(&body),
            Auth::Header(header.clone()),
        )
    };
    let (st, v) = refresh().await;
    assert_eq!(st, StatusCode::OK, "{v}");

    let ahead_ms = hot_storage_service::db::now_ms() + 8_000;
    prune(&srv.state.db, ahead_ms).await.unwrap();
    let again = get().await;
    assert_eq!(
        again,
        StatusCode::UNAUTHORIZED,
        "a proof replayed after a prune by a clock 8 s ahead"
    );
    let (st, v) = refresh().await;
    assert_error(st, &v, 403, "AUTHORITY_REQUIRED");
}
dual!(
    a_replica_whose_clock_runs_ahead_does_not_prune_a_record_still_needed,
    pruned_by_a_clock_ahead
);

/// Each service requires its own audience by default: a token captured at
/// Shield does not open hot storage, and the other way round.
async fn audiences(db: Db) {
    let own = |s: &mut hot_storage_service::server::Settings| {
        s.jwt.audience = s.service.default_audience().into();
    };
    let hot = Srv::start(db, Service::Hot, own).await;
    let shield = Srv::start(db, Service::Shield, own).await;
    let for_aud = |aud: &str| {
        let mut c = claims("audrey");
        c["aud"] = json!(aud);
        Signer::ed("ed1", "ed1").sign(&c)
    };
    let (hot_token, shield_token) = (for_aud("keyframe-hot-storage"), for_aud("keyframe-shield"));
    let w = new_wallet("audrey");
    let (st, body) = hot
        .post("/v2/devices/create", &shield_token, &create_body(&w, false))
        .await;
    assert_error(st, &body, 401, "AUTH_REQUIRED");
    let (st, body) = hot
        .post("/v2/devices/create", &hot_token, &create_body(&w, false))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");

    let path = format!("/v1/cold-shares/{}", w.wallet);
    let (st, body) = shield.get(&path, Some(&hot_token)).await;
    assert_error(st, &body, 401, "AUTH_REQUIRED");
    let (st, body) = shield.get(&path, Some(&shield_token)).await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");

    // A token that names both services opens neither (jsonwebtoken alone
    // accepts a list when any entry matches); a list of one is its one.
    let for_list = |aud: &[&str]| {
        let mut c = claims("audrey");
        c["aud"] = json!(aud);
        Signer::ed("ed1", "ed1").sign(&c)
    };
    let both = for_list(&["keyframe-hot-storage", "keyframe-shield"]);
    let (st, body) = shield.get(&path, Some(&both)).await;
    assert_error(st, &body, 401, "AUTH_REQUIRED");
    let (st, body) = hot.get("/v2/wallet", Some(&both)).await;
    assert_error(st, &body, 401, "AUTH_REQUIRED");
    let (st, body) = shield
        .get(&path, Some(&for_list(&["keyframe-shield"])))
        .await;
    assert_error(st, &body, 404, "SHARE_UNAVAILABLE");
}
dual!(each_service_requires_its_own_audience, audiences);

/// `--dpop off` accepts a plain bearer token, but a token bound to a key
/// still needs that key's proof: the mode never turns a bound token back
/// into a bearer token.
async fn off(db: Db) {
    let srv = Srv::start(db, Service::Hot, |s| s.dpop.required = false).await;
    let url = format!("{}/v2/wallet", srv.base);
    let unbound = Signer::ed("ed1", "ed1").sign(&{
        let mut c = claims("offline");
        c.as_object_mut().unwrap().remove("cnf");
        c
    });
    let get = |auth: String| srv.http.get(&url).header("authorization", auth).send();
    let resp = get(format!("Bearer {unbound}")).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "an unbound bearer token is accepted"
    );
    let bound = token("offline");
    let resp = get(format!("Bearer {bound}")).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "a bound token sent as Bearer"
    );
    let resp = get(format!("DPoP {bound}")).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "a bound token without its proof"
    );
    let (st, body) = srv.get("/v2/wallet", Some(&bound)).await;
    assert_error(st, &body, 404, "NO_WALLET");
}
dual!(off_still_requires_the_proof_of_a_bound_token, off);

/// `recover` records its proof while it reads the share
/// (crate::auth::UserRecordingProof): a replayed proof is still refused
/// before anything is judged, logged, counted or released, sent again
/// after its first use or many times at once.
async fn replayed_at_recover(db: Db) {
    use crate::policy_support::{RECOVER, activity, recover_body, tx, with_policy};
    use futures_util::future::join_all;
    let policy = json!({ "version": 1, "default": "deny", "rules": [
        { "id": "three-a-day", "effect": "allow", "when": { "chains": [8453] },
          "limits": [{ "window": "24h", "count_at_most": 3 }] } ] });
    let srv = &with_policy(db, policy, |_| {}).await;
    let w = &create_wallet(srv, "replayer").await;
    let url = &format!("{}{RECOVER}", srv.base);
    let body = &recover_body(w, &tx(8453, "1"), None);
    let send = |proof: String, body: Value| async move {
        srv.post_with_proof(url, &w.token, proof, &body).await
    };
    let fresh = || DPOP.proof("POST", url, &w.token);
    let codes = |got: &[(StatusCode, Value)]| -> Vec<String> {
        got.iter()
            .map(|(st, b)| format!("{} {}", st.as_u16(), b["error"]["code"]))
            .collect()
    };

    let once = fresh();
    let (st, b) = send(once.clone(), body.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = send(once.clone(), body.clone()).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
    let again = join_all((0..8).map(|_| send(once.clone(), body.clone()))).await;
    assert!(
        again.iter().all(|(st, _)| *st == StatusCode::UNAUTHORIZED),
        "{:?}",
        codes(&again)
    );
    // One new proof sent eight times at once: one share.
    let at_once = join_all((0..8).map({
        let p = fresh();
        move |_| send(p.clone(), body.clone())
    }))
    .await;
    let ok = at_once
        .iter()
        .filter(|(st, _)| *st == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "{:?}", codes(&at_once));
    assert_eq!(activity(srv, w).await.len(), 2, "a replay was logged");
    // The replays counted nothing: the third share is the limit's last.
    let (st, b) = send(fresh(), body.clone()).await;
    assert_eq!(st, StatusCode::OK, "a replay was counted: {b}");
    let (st, b) = send(fresh(), body.clone()).await;
    assert_error(st, &b, 403, "POLICY_DENIED");
    assert_eq!(activity(srv, w).await.len(), 4);

    // A replay naming the device's pending share does not promote it.
    let s1 = split();
    let refresh = json!({ "wallet": w.wallet, "device": w.device, "version": 0, "split": s1,
                          "share": b64(b"H1"), "replacePending": null });
    let (st, b) = srv.post("/v2/devices/refresh", &w.token, &refresh).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let current = json!({ "wallet": w.wallet, "device": w.device });
    let pending = json!({ "wallet": w.wallet, "device": w.device, "version": 1, "split": s1 });
    let once = fresh();
    let (st, b) = send(once.clone(), current.clone()).await;
    assert_eq!((st, &b["version"]), (StatusCode::OK, &json!(0)), "{b}");
    let (st, b) = send(once, pending).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
    let (st, b) = send(fresh(), current).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["version"], 0, "a replay promoted the pending share");
    assert_ne!(
        b["pending"],
        Value::Null,
        "a replay promoted the pending share"
    );

    // The recovery pair's half (device nil), read by another path.
    let primary = json!({ "wallet": w.wallet });
    let once = fresh();
    let (st, b) = send(once.clone(), primary.clone()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = send(once, primary).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
}
dual!(
    a_replayed_proof_at_recover_is_refused_before_it_is_judged,
    replayed_at_recover
);

/// Two hot-storage processes on one database: a proof used at `recover`
/// is good once across both, whichever records it (a judged request's
/// record is committed by the policy's batch, a plain one's on its own).
async fn recover_replicas(db: Db) {
    use crate::policy_support::{RECOVER, activity, recover_body, tx};
    use futures_util::future::join_all;
    use hot_storage_service::policy_file::PolicyFile;
    use hot_storage_service::seal::{Keyring, SealKey};
    use keyframe_policy::Policy;
    let policy = || {
        let p = json!({ "version": 1, "default": "allow", "rules": [] });
        std::sync::Arc::new(PolicyFile::with(None, Policy::from_value(p).unwrap()))
    };
    let spec = SealKey::generate("t1").unwrap().to_spec();
    let keyring = || Keyring::new(vec![SealKey::parse(&spec).unwrap()]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db_url = db_url(db, &tmp).await;
    let a = Srv::start_with(
        db,
        Service::Hot,
        tmp,
        db_url.clone(),
        keyring(),
        None,
        |s| s.policy = policy(),
    )
    .await;
    let public = a.base.clone();
    let b = Srv::start_with(
        db,
        Service::Hot,
        tempfile::tempdir().unwrap(),
        db_url,
        keyring(),
        Some(a.jwks.clone()),
        |s| {
            s.dpop.public_url = public;
            s.policy = policy();
        },
    )
    .await;
    let w = &create_wallet(&a, "replicated-recover").await;
    // Every proof names A's URL (the public one); B serves the same URL.
    let url = &format!("{}{RECOVER}", a.base);
    let judged = recover_body(w, &tx(8453, "1"), None);
    let plain = json!({ "wallet": w.wallet, "device": w.device });
    let send = |srv: &Srv, proof: &str, body: &Value| {
        srv.http
            .post(format!("{}{RECOVER}", srv.base))
            .header("authorization", format!("DPoP {}", w.token))
            .header("dpop", proof)
            .json(body)
            .send()
    };

    // One judged proof sent four times to each replica at once: one share.
    let proof = DPOP.proof("POST", url, &w.token);
    let sends = (0..8).map(|i| send(if i % 2 == 0 { &a } else { &b }, &proof, &judged));
    let mut got = Vec::new();
    for r in join_all(sends).await {
        let r = r.unwrap();
        got.push((r.status(), r.text().await.unwrap()));
    }
    let ok = got.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = got
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((ok, refused), (1, 7), "{got:?}");
    assert_eq!(
        activity(&a, w).await.len(),
        1,
        "only the one share is logged"
    );

    // Recorded on its own at one replica, refused by the other's batch,
    // and the other way round.
    for (first, first_body, then, then_body) in [
        (&a, &plain, &b, &judged),
        (&b, &judged, &a, &plain),
        (&a, &judged, &b, &judged),
    ] {
        let proof = DPOP.proof("POST", url, &w.token);
        let resp = send(first, &proof, first_body).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{:?}", resp.text().await);
        let resp = send(then, &proof, then_body).await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "DPOP_INVALID");
    }
    assert_eq!(activity(&a, w).await.len(), 3);
}
dual!(
    a_recovers_proof_is_good_once_across_replicas,
    recover_replicas
);

/// A proof that verified is spent whatever the answer (docs/api.md,
/// "Authentication"): a `recover` refused for its body (400, 413, 415 —
/// refused by the body's extractor or by the handler), for its version, or
/// with a 404 uses its proof up, so whoever saw the refused request's
/// headers cannot send that proof again with a body of their choosing. At
/// Shield, whose routes record the proof before they read the body, the
/// same holds. Fails without the record on refusal (PostgreSQL: every case;
/// SQLite, which recorded first in the handler: the extractor's refusals).
async fn spent_when_refused(db: Db) {
    use crate::policy_support::{RECOVER, tx};
    let srv = &Srv::hot(db).await;
    let w = &create_wallet(srv, "refused-recover").await;
    let url = &format!("{}{RECOVER}", srv.base);
    let good = json!({ "wallet": w.wallet, "device": w.device });
    let bytes = |v: Value| v.to_string().into_bytes();
    let json = "application/json";
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "malformed JSON",
            json,
            b"{\"wallet\": ".to_vec(),
            400,
            "BAD_REQUEST",
        ),
        (
            "unknown field",
            json,
            bytes(json!({ "wallet": w.wallet, "device": w.device, "extra": 1 })),
            400,
            "BAD_REQUEST",
        ),
        (
            "wrong content type",
            "text/plain",
            bytes(good.clone()),
            415,
            "BAD_REQUEST",
        ),
        (
            "body over the limit",
            json,
            vec![b' '; srv.state.settings.body_limit + 1],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "unsupported version",
            json,
            bytes(json!({ "wallet": w.wallet, "device": w.device, "version": 1u64 << 60 })),
            400,
            "BAD_REQUEST",
        ),
        (
            "intent without on_screen",
            json,
            bytes(json!({ "wallet": w.wallet, "device": w.device, "intent": tx(8453, "1") })),
            400,
            "BAD_REQUEST",
        ),
        (
            "another wallet",
            json,
            bytes(json!({ "wallet": uuid(), "device": w.device })),
            404,
            "NO_WALLET",
        ),
        (
            "another wallet's recovery pair",
            json,
            bytes(json!({ "wallet": uuid() })),
            404,
            "NO_WALLET",
        ),
        (
            "no such device",
            json,
            bytes(json!({ "wallet": w.wallet, "device": uuid() })),
            404,
            "SHARE_UNAVAILABLE",
        ),
    ];
    // The cases whose proof was accepted again, all named when any is.
    let mut reused = Vec::new();
    for (name, content_type, body, status, code) in cases {
        let proof = DPOP.proof("POST", url, &w.token);
        let (st, b) = srv
            .post_raw_with_proof(url, &w.token, &proof, content_type, body)
            .await;
        assert_eq!(
            (st.as_u16(), &b["error"]["code"]),
            (status, &json!(code)),
            "{name}: {b}"
        );
        let (st, b) = srv.post_with_proof(url, &w.token, proof, &good).await;
        if (st, &b["error"]["code"]) != (StatusCode::UNAUTHORIZED, &json!("DPOP_INVALID")) {
            reused.push(format!("{name} (then {st})"));
        }
    }
    assert!(
        reused.is_empty(),
        "refused requests whose proof was accepted again: {reused:?}"
    );
    // A fresh proof still opens the share: the refusals spent nothing else.
    let (st, b) = srv.post(RECOVER, &w.token, &good).await;
    assert_eq!(st, StatusCode::OK, "{b}");

    // Shield: a create refused for its body.
    let shield = &Srv::shield(db).await;
    let url = &format!("{}/v1/cold-shares", shield.base);
    let proof = DPOP.proof("POST", url, &w.token);
    let (st, b) = shield
        .post_raw_with_proof(url, &w.token, &proof, json, b"{".to_vec())
        .await;
    assert_error(st, &b, 400, "BAD_REQUEST");
    let (st, b) = shield
        .post_with_proof(url, &w.token, proof, &json!({}))
        .await;
    assert_error(st, &b, 401, "DPOP_INVALID");
}
dual!(
    a_verified_proof_is_spent_when_the_request_is_refused,
    spent_when_refused
);

/// A request refused by the per-user rate limit (429) after its proof
/// verified spends the proof too: sent again once the limit lets the user
/// through, it is a replay. At a plain route, at `recover` (whose proof the
/// handler records) and at Shield. Fails without the record on 429.
async fn spent_when_rate_limited(db: Db) {
    let limited = |s: &mut hot_storage_service::server::Settings| {
        s.rate.user_per_second = 1;
        s.rate.user_burst = 1;
    };
    let hot = &Srv::start(db, Service::Hot, limited).await;
    let shield = &Srv::start(db, Service::Shield, limited).await;
    let recover = format!("{}/v2/devices/recover", hot.base);
    let recover_body = json!({ "wallet": uuid() });
    let cold = format!("{}/v1/cold-shares/{}", shield.base, uuid());
    let wallet = format!("{}/v2/wallet", hot.base);
    let mut reused = Vec::new();
    for (i, (srv, method, url)) in [
        (hot, "GET", &wallet),
        (hot, "POST", &recover),
        (shield, "GET", &cold),
    ]
    .into_iter()
    .enumerate()
    {
        // A user of its own for each route: each has its own budget.
        let t = &token(&format!("limited-{i}"));
        let send = |proof: String| {
            let rb = match method {
                "GET" => srv.http.get(url.as_str()),
                _ => srv.http.post(url.as_str()).json(&recover_body),
            };
            rb.header("authorization", format!("DPoP {t}"))
                .header("dpop", proof)
                .send()
        };
        // The user's one request of this second (a 404: no wallet) ...
        let first = send(DPOP.proof(method, url, t)).await.unwrap();
        assert_eq!(first.status(), StatusCode::NOT_FOUND, "{url}");
        // ... so the next is refused; its proof held.
        let proof = DPOP.proof(method, url, t);
        let resp = send(proof.clone()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{url}");
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(retry * 1000 + 100)).await;
        let resp = send(proof).await.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if (status, &body["error"]["code"]) != (StatusCode::UNAUTHORIZED, &json!("DPOP_INVALID")) {
            reused.push(format!("{method} {url} (then {status})"));
        }
    }
    assert!(
        reused.is_empty(),
        "rate-limited requests whose proof was accepted again: {reused:?}"
    );
}
dual!(
    a_verified_proof_is_spent_when_the_user_is_rate_limited,
    spent_when_rate_limited
);

/// Every 401 carries the `WWW-Authenticate: DPoP` challenge (RFC 9449
/// §7.1) with the proof algorithm the services accept: no error when no
/// credentials of a scheme they take came, `invalid_token` for a token
/// refused, `invalid_dpop_proof` for a proof refused; the JSON body keeps
/// its code. Other answers carry none. Both services.
async fn challenges(db: Db) {
    const PLAIN: &str = r#"DPoP algs="ES256""#;
    const TOKEN: &str = r#"DPoP error="invalid_token", algs="ES256""#;
    const PROOF: &str = r#"DPoP error="invalid_dpop_proof", algs="ES256""#;
    let mut wrong = Vec::new();
    for service in [Service::Hot, Service::Shield] {
        let srv = &Srv::start(db, service, |_| {}).await;
        let url = &match service {
            Service::Hot => format!("{}/v2/wallet", srv.base),
            Service::Shield => format!("{}/v1/cold-shares/{}", srv.base, uuid()),
        };
        let t = &token("challenged");
        let expired = &Signer::ed("ed1", "ed1").sign(&{
            let mut c = claims("challenged");
            let n = now();
            c["iat"] = json!(n - 7200);
            c["nbf"] = json!(n - 7200);
            c["exp"] = json!(n - 3600);
            c
        });
        let dpop_auth = |token: &str| ("authorization", format!("DPoP {token}"));
        let proof = |token: &str| ("dpop", DPOP.proof("GET", url, token));
        let used = DPOP.proof("GET", url, t);
        let get = |headers: Headers<'static>| {
            let mut rb = srv.http.get(url.as_str());
            for (name, value) in headers {
                rb = rb.header(name, value);
            }
            rb.send()
        };
        let resp = get(vec![dpop_auth(t), ("dpop", used.clone())])
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert!(
            resp.headers().get("www-authenticate").is_none(),
            "a 404 carries no challenge"
        );
        let cases: Vec<(&str, Headers<'static>, &str, &str)> = vec![
            ("no credentials", vec![], "AUTH_REQUIRED", PLAIN),
            (
                "another scheme",
                vec![("authorization", "Basic dXNlcjpwYXNz".into())],
                "AUTH_REQUIRED",
                PLAIN,
            ),
            (
                "a forged token",
                vec![dpop_auth("a.b.c"), proof("a.b.c")],
                "AUTH_REQUIRED",
                TOKEN,
            ),
            (
                "the scheme without a token",
                vec![("authorization", "DPoP ".into())],
                "AUTH_REQUIRED",
                TOKEN,
            ),
            (
                "an expired token",
                vec![dpop_auth(expired), proof(expired)],
                "AUTH_EXPIRED",
                TOKEN,
            ),
            (
                "a bound token as Bearer",
                vec![("authorization", format!("Bearer {t}")), proof(t)],
                "AUTH_REQUIRED",
                TOKEN,
            ),
            ("no proof", vec![dpop_auth(t)], "DPOP_INVALID", PROOF),
            (
                "a proof by another key",
                vec![
                    dpop_auth(t),
                    ("dpop", ProofKey::generate().unwrap().proof("GET", url, t)),
                ],
                "DPOP_INVALID",
                PROOF,
            ),
            (
                "a replayed proof",
                vec![dpop_auth(t), ("dpop", used.clone())],
                "DPOP_INVALID",
                PROOF,
            ),
        ];
        for (name, headers, code, challenge) in cases {
            let resp = get(headers).await.unwrap();
            let status = resp.status();
            let got: Vec<String> = resp
                .headers()
                .get_all("www-authenticate")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{service:?} {name}: {body}"
            );
            assert_eq!(body["error"]["code"], code, "{service:?} {name}: {body}");
            if got != [challenge] {
                wrong.push(format!("{service:?} {name}: {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "401s without their challenge: {wrong:#?}");
}
dual!(every_401_carries_the_dpop_challenge, challenges);

/// A judged `recover` whose policy transaction fails (500) spends its
/// proof too. On PostgreSQL its record went to that transaction, which did
/// not commit; the handler records it again before it answers. Fails
/// without that (PostgreSQL; SQLite records such a proof first).
async fn spent_when_the_batch_fails(db: Db) {
    use crate::policy_support::{RECOVER, exec, recover_body, tx, with_policy};
    let policy = json!({ "version": 1, "default": "allow", "rules": [] });
    let srv = &with_policy(db, policy, |_| {}).await;
    let w = &create_wallet(srv, "failed-batch").await;
    let url = &format!("{}{RECOVER}", srv.base);
    let body = &recover_body(w, &tx(8453, "1"), None);
    // The batch's log insert then fails, and its transaction with it.
    exec(srv, "ALTER TABLE activity_recent RENAME TO activity_hidden").await;
    let proof = DPOP.proof("POST", url, &w.token);
    let (st, b) = srv
        .post_with_proof(url, &w.token, proof.clone(), body)
        .await;
    assert_error(st, &b, 500, "INTERNAL");
    exec(srv, "ALTER TABLE activity_hidden RENAME TO activity_recent").await;
    let (st, b) = srv.post_with_proof(url, &w.token, proof, body).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
    let (st, b) = srv.post(RECOVER, &w.token, body).await;
    assert_eq!(st, StatusCode::OK, "{b}");
}
dual!(
    a_verified_proof_is_spent_when_the_policy_batch_fails,
    spent_when_the_batch_fails
);

/// A judged `recover` dropped while its policy batch runs (the request's
/// timeout answers), whose batch then fails, spends its proof too: the
/// record handed to the batch stays pending until the batch answers, and
/// is made on drop. Fails without that (PostgreSQL; SQLite records such a
/// proof first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_proof_is_spent_when_dropped_and_the_policy_batch_fails() {
    use crate::policy_support::{RECOVER, recover_body, tx, with_policy};
    let policy = json!({ "version": 1, "default": "allow", "rules": [] });
    let srv = &with_policy(Db::Postgres, policy, |s| {
        s.request_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    let w = &create_wallet(srv, "dropped-batch").await;
    let url = &format!("{}{RECOVER}", srv.base);
    let body = &recover_body(w, &tx(8453, "1"), None);
    let pool = srv.raw_pool().await;
    let proofs = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM seen_once WHERE scope = 'dpop'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = proofs().await;
    // The batch's log insert waits behind this lock, past the timeout.
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE activity_recent IN EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let proof = DPOP.proof("POST", url, &w.token);
    let (st, b) = srv
        .post_with_proof(url, &w.token, proof.clone(), body)
        .await;
    assert!(
        st == StatusCode::SERVICE_UNAVAILABLE || st == StatusCode::REQUEST_TIMEOUT,
        "{st} {b}"
    );
    // Then the batch fails, with no request left to take its record back.
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE wait_event_type = 'Lock' AND wait_event = 'relation' AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut *lock)
    .await
    .unwrap();
    assert_eq!(cut, 1, "the batch was not waiting for the lock");
    lock.rollback().await.unwrap();
    // Made on drop, by a task of its own: wait for the row.
    for _ in 0..200 {
        if proofs().await > before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (st, b) = srv.post_with_proof(url, &w.token, proof, body).await;
    assert_error(st, &b, 401, "DPOP_INVALID");
}
