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
