//! Token hardening: only the configured algorithm and key are accepted, with
//! issuer, audience, expiry and not-before all required; every refusal is
//! the same 401, saying nothing about why.

use std::path::PathBuf;

use commissioning::auth::{Role, TokenKeys};
use commissioning::config::{Settings, TokenAlgorithm};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{parse_id, spawn_app, spawn_app_with, Backend, TestApp, SECRET};

const ISSUER: &str = "commissioning";
const AUDIENCE: &str = "commissioning-api";
const REFUSED: &str = "the bearer token is missing, invalid or expired";

const RSA_PUBLIC: &[u8] = include_bytes!("../fixtures/test-rsa-public.pem");
const RSA_PRIVATE: &[u8] = include_bytes!("../fixtures/test-rsa-private.pem");
const ED_PUBLIC: &[u8] = include_bytes!("../fixtures/test-ed25519-public.pem");
const ED_PRIVATE: &[u8] = include_bytes!("../fixtures/test-ed25519-private.pem");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Settings for a service that verifies `algorithm` tokens with the fixture
/// public key only, as when an identity provider issues them.
fn public_key_only(algorithm: TokenAlgorithm) -> impl FnOnce(&mut Settings) {
    move |settings| {
        let public = match algorithm {
            TokenAlgorithm::EdDsa => "test-ed25519-public.pem",
            _ => "test-rsa-public.pem",
        };
        settings.token_algorithm = algorithm;
        settings.token_secret = None;
        settings.token_public_key_file = Some(fixture(public));
    }
}

/// The identity provider's side: the fixture key pair for `algorithm`.
fn identity_provider(algorithm: Algorithm) -> TokenKeys {
    let (public, private) = match algorithm {
        Algorithm::EdDSA => (ED_PUBLIC, ED_PRIVATE),
        _ => (RSA_PUBLIC, RSA_PRIVATE),
    };
    TokenKeys::from_public_pem(algorithm, public, ISSUER, AUDIENCE)
        .expect("public key")
        .with_private_pem(private)
        .expect("private key")
}

/// Valid claims for a commissioner of the app's organisation.
fn claims(app: &TestApp) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": "tester",
        "org": app.organisation_id,
        "role": "commissioner",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    })
}

fn sign(algorithm: Algorithm, claims: &Value, key: &EncodingKey) -> String {
    encode(&Header::new(algorithm), claims, key).expect("token")
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    sign(Algorithm::HS256, claims, &EncodingKey::from_secret(secret))
}

/// URL-safe base64 without padding (RFC 4648 §5), as JWT segments use.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        // 1 byte gives 2 characters, 2 give 3, 3 give 4.
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn segment(value: &Value) -> String {
    base64url(value.to_string().as_bytes())
}

/// Asserts `token` is refused with exactly the answer given to a request
/// with no token at all: 401, problem+json, the generic detail, nothing more.
async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let without = app.send("GET", "organisations", None, None).await;
    let reply = app.get("organisations", token).await;
    assert_eq!(reply.status.as_u16(), 401, "{why}: {}", reply.body);
    assert_eq!(reply.content_type, "application/problem+json", "{why}");
    assert_eq!(reply.body["detail"], REFUSED, "{why}");
    assert_eq!(
        reply.body, without.body,
        "{why}: the refusal says nothing about why"
    );
}

async fn assert_accepted(app: &TestApp, token: &str, why: &str) {
    let reply = app.get("organisations", token).await;
    assert_eq!(reply.status.as_u16(), 200, "{why}: {}", reply.body);
    assert_eq!(reply.body["total"], 1, "{why}");
}

#[test]
fn base64url_encodes_as_rfc_4648_says() {
    assert_eq!(base64url(b""), "");
    assert_eq!(base64url(b"f"), "Zg");
    assert_eq!(base64url(b"fo"), "Zm8");
    assert_eq!(base64url(b"foo"), "Zm9v");
    assert_eq!(base64url(b"foob"), "Zm9vYg");
    assert_eq!(base64url(&[0xfb, 0xff, 0xfe]), "-__-");
}

async fn alg_none_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let payload = segment(&claims(&app));
    let valid = hs256(&claims(&app), SECRET.as_bytes());
    assert_accepted(&app, &valid, "the same claims, signed").await;
    let signature = valid.rsplit('.').next().expect("a signature");
    for alg in ["none", "None", "NONE"] {
        let header = segment(&json!({"alg": alg, "typ": "JWT"}));
        assert_refused(&app, &format!("{header}.{payload}."), alg).await;
        assert_refused(
            &app,
            &format!("{header}.{payload}.{signature}"),
            "none with a signature",
        )
        .await;
    }
    // And an unsigned token with no alg at all.
    let header = segment(&json!({"typ": "JWT"}));
    assert_refused(&app, &format!("{header}.{payload}."), "no alg").await;
}

async fn a_token_signed_with_another_key_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = hs256(&claims(&app), b"another-secret-of-at-least-32-bytes!!");
    assert_refused(&app, &token, "another HS256 secret").await;
    // An RS256 token, even with valid claims, when HS256 is configured.
    let token = identity_provider(Algorithm::RS256)
        .mint(
            "x",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    assert_refused(&app, &token, "RS256 when HS256 is configured").await;
}

async fn hs256_tokens_are_refused_when_rs256_is_configured(backend: Backend) {
    let app = spawn_app_with(backend, public_key_only(TokenAlgorithm::Rs256)).await;
    let claims = claims(&app);
    // The classic confusion: the public key's own bytes as the HMAC secret.
    assert_refused(
        &app,
        &hs256(&claims, RSA_PUBLIC),
        "HS256 keyed by the public key",
    )
    .await;
    let hs512 = sign(
        Algorithm::HS512,
        &claims,
        &EncodingKey::from_secret(RSA_PUBLIC),
    );
    assert_refused(&app, &hs512, "HS512 keyed by the public key").await;
    assert_refused(
        &app,
        &hs256(&claims, SECRET.as_bytes()),
        "HS256, any secret",
    )
    .await;
    // Another asymmetric algorithm is refused too.
    let eddsa = sign(
        Algorithm::EdDSA,
        &claims,
        &EncodingKey::from_ed_pem(ED_PRIVATE).expect("key"),
    );
    assert_refused(&app, &eddsa, "EdDSA when RS256 is configured").await;
    // While the identity provider's RS256 token is accepted.
    let rs256 = sign(
        Algorithm::RS256,
        &claims,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("key"),
    );
    assert_accepted(&app, &rs256, "RS256 from the identity provider").await;
}

async fn expired_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = chrono::Utc::now().timestamp();
    for (ago, why) in [(3600, "an hour ago"), (120, "beyond the leeway")] {
        let mut expired = claims(&app);
        expired["iat"] = json!(now - ago - 60);
        expired["nbf"] = json!(now - ago - 60);
        expired["exp"] = json!(now - ago);
        assert_refused(&app, &hs256(&expired, SECRET.as_bytes()), why).await;
    }
    let expired = app
        .keys
        .mint(
            "x",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            -3600,
        )
        .expect("token");
    assert_refused(&app, &expired, "minted expired").await;
}

async fn not_yet_valid_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let now = chrono::Utc::now().timestamp();
    for (ahead, why) in [(3600, "an hour ahead"), (120, "beyond the leeway")] {
        let mut early = claims(&app);
        early["nbf"] = json!(now + ahead);
        early["exp"] = json!(now + ahead + 3600);
        assert_refused(&app, &hs256(&early, SECRET.as_bytes()), why).await;
    }
}

async fn a_wrong_issuer_or_audience_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        ("iss", json!("someone-else"), "wrong issuer"),
        ("iss", json!(""), "empty issuer"),
        ("aud", json!("another-api"), "wrong audience"),
        ("aud", json!(["another-api"]), "wrong audience list"),
        ("aud", json!([]), "empty audience list"),
    ];
    for (claim, value, why) in cases {
        let mut wrong = claims(&app);
        wrong[claim] = value;
        assert_refused(&app, &hs256(&wrong, SECRET.as_bytes()), why).await;
    }
}

async fn tokens_missing_a_required_claim_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for claim in ["exp", "nbf", "iss", "aud", "sub", "org", "role"] {
        let mut missing = claims(&app);
        missing
            .as_object_mut()
            .expect("an object")
            .remove(claim)
            .expect("the claim was there");
        assert_refused(&app, &hs256(&missing, SECRET.as_bytes()), claim).await;
    }
    let mut text = claims(&app);
    text["exp"] = json!("tomorrow");
    assert_refused(&app, &hs256(&text, SECRET.as_bytes()), "exp not a number").await;
}

async fn tampered_claims_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let valid = app.finance();
    assert_accepted(&app, &valid, "the untouched token").await;
    let parts: Vec<&str> = valid.split('.').collect();
    assert_eq!(parts.len(), 3);
    let mut payload = jsonwebtoken::dangerous::insecure_decode::<Value>(&valid)
        .expect("readable")
        .claims;
    assert_eq!(payload["role"], "finance");
    for role in ["commissioner", "admin"] {
        payload["role"] = json!(role);
        let tampered = format!("{}.{}.{}", parts[0], segment(&payload), parts[2]);
        assert_refused(&app, &tampered, role).await;
    }
    let mut later = jsonwebtoken::dangerous::insecure_decode::<Value>(&valid)
        .expect("readable")
        .claims;
    later["exp"] = json!(chrono::Utc::now().timestamp() + 86_400 * 365);
    let extended = format!("{}.{}.{}", parts[0], segment(&later), parts[2]);
    assert_refused(&app, &extended, "a later exp").await;
    // A signature cut short or dropped.
    assert_refused(&app, &format!("{}.{}.", parts[0], parts[1]), "no signature").await;
    let short = &parts[2][..parts[2].len() - 4];
    assert_refused(&app, &format!("{}.{}.{short}", parts[0], parts[1]), "short").await;
}

async fn a_provider_token_without_its_provider_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut provider = claims(&app);
    provider["role"] = json!("provider");
    assert_refused(
        &app,
        &hs256(&provider, SECRET.as_bytes()),
        "provider role without provider_id",
    )
    .await;
    // A provider id the service could not have issued names no provider.
    provider["provider_id"] = json!("p-1");
    assert_refused(
        &app,
        &hs256(&provider, SECRET.as_bytes()),
        "a provider_id that is not an id",
    )
    .await;
    provider["provider_id"] = json!("0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f");
    assert_accepted(
        &app,
        &hs256(&provider, SECRET.as_bytes()),
        "with its provider",
    )
    .await;
    let mut admin = claims(&app);
    admin["role"] = json!("admin");
    admin["provider_id"] = json!("p-1");
    assert_refused(
        &app,
        &hs256(&admin, SECRET.as_bytes()),
        "provider_id on admin",
    )
    .await;
    let mut unknown = claims(&app);
    unknown["role"] = json!("superuser");
    assert_refused(&app, &hs256(&unknown, SECRET.as_bytes()), "unknown role").await;
}

async fn rs256_tokens_are_accepted_when_rs256_is_configured(backend: Backend) {
    let app = spawn_app_with(backend, public_key_only(TokenAlgorithm::Rs256)).await;
    assert!(!app.keys.can_mint(), "a public key alone cannot mint");
    let idp = identity_provider(Algorithm::RS256);
    let token = idp
        .mint(
            "idp-user",
            parse_id(&app.organisation_id),
            Role::Admin,
            None,
            3600,
        )
        .expect("token");
    assert_accepted(&app, &token, "RS256 admin").await;
    // As an identity provider might shape it: a key id, an audience list
    // and claims of its own.
    let mut shaped = claims(&app);
    shaped["aud"] = json!(["account", AUDIENCE]);
    shaped["email"] = json!("someone@example.org");
    let header = Header {
        kid: Some("test-key-1".to_owned()),
        ..Header::new(Algorithm::RS256)
    };
    let token = encode(
        &header,
        &shaped,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("key"),
    )
    .expect("token");
    assert_accepted(&app, &token, "identity provider's shape").await;
    let mut expired = claims(&app);
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let token = sign(
        Algorithm::RS256,
        &expired,
        &EncodingKey::from_rsa_pem(RSA_PRIVATE).expect("key"),
    );
    assert_refused(&app, &token, "expired RS256").await;
}

async fn eddsa_tokens_are_accepted_when_eddsa_is_configured(backend: Backend) {
    let app = spawn_app_with(backend, public_key_only(TokenAlgorithm::EdDsa)).await;
    let token = identity_provider(Algorithm::EdDSA)
        .mint(
            "idp-user",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    assert_accepted(&app, &token, "EdDSA").await;
    let rs256 = identity_provider(Algorithm::RS256)
        .mint(
            "idp-user",
            parse_id(&app.organisation_id),
            Role::Commissioner,
            None,
            3600,
        )
        .expect("token");
    assert_refused(&app, &rs256, "RS256 when EdDSA is configured").await;
    assert_refused(
        &app,
        &hs256(&claims(&app), ED_PUBLIC),
        "HS256 keyed by the public key",
    )
    .await;
}

async fn a_service_with_the_private_key_mints_its_own(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        public_key_only(TokenAlgorithm::Rs256)(settings);
        settings.token_private_key_file = Some(fixture("test-rsa-private.pem"));
    })
    .await;
    assert_eq!(app.keys.algorithm(), Algorithm::RS256);
    assert_accepted(&app, &app.token(Role::Admin), "minted with the private key").await;
}

crate::on_both_backends!(
    alg_none_is_refused,
    a_token_signed_with_another_key_is_refused,
    hs256_tokens_are_refused_when_rs256_is_configured,
    expired_tokens_are_refused,
    not_yet_valid_tokens_are_refused,
    a_wrong_issuer_or_audience_is_refused,
    tokens_missing_a_required_claim_are_refused,
    tampered_claims_are_refused,
    a_provider_token_without_its_provider_is_refused,
    rs256_tokens_are_accepted_when_rs256_is_configured,
    eddsa_tokens_are_accepted_when_eddsa_is_configured,
    a_service_with_the_private_key_mints_its_own,
);
