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
