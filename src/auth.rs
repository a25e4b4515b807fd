//! Bearer tokens, roles and what each role may do. Every request (but health
//! and docs) carries a JWT naming an organisation and a role; a `provider`
//! token is also bound to one provider. Permissions are decided here and
//! nowhere else; record scoping (organisation, provider) is applied by the
//! queries through [`Scope`].

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::id::{OrganisationId, ProviderId};
use crate::domain::text_enum::text_enum;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organisation itself (its name) and reads the audit trail.
    Admin,
    /// The commissioning team: creates and changes streams, providers, contracts, returns.
    Commissioner,
    /// Finance: reads the organisation's commissioning records (not the audit
    /// trail) and records payments.
    Finance,
    /// A provider: sees only its own provider record, contracts and returns.
    Provider,
}

text_enum!(Role {
    Admin => "admin",
    Commissioner => "commissioner",
    Finance => "finance",
    Provider => "provider",
});

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadOrganisation,
    ManageOrganisation,
    ReadAudit,
    ReadStreams,
    ManageStreams,
    ReadProviders,
    ManageProviders,
    ReadContracts,
    ManageContracts,
    RecordPayments,
    ReadMeasures,
    ManageMeasures,
    ReadReturns,
    WriteReturns,
    /// Query and accept providers' outcome returns.
    ReviewReturns,
    /// Budget, provider and outcomes reports across the organisation.
    ReadReports,
    /// Bulk imports from a spreadsheet, one permission per kind: funding
    /// streams, providers, awards and returns (entered on providers'
    /// behalf) for the commissioning team, payments for finance; the admin
    /// may run any.
    ImportStreams,
    ImportProviders,
    ImportAwards,
    ImportPayments,
    ImportReturns,
    /// The 360Giving, OCDS and register documents, with a token.
    ReadPublications,
}

/// The access matrix: each role lists what it may do, so a new permission is
/// granted to no one until it is added here. Provider access is further
/// narrowed to the provider's own records by [`Scope`].
pub fn permits(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => matches!(
            permission,
            ReadOrganisation
                | ManageOrganisation
                | ReadAudit
                | ImportStreams
                | ImportProviders
                | ImportAwards
                | ImportPayments
                | ImportReturns
                | ReadPublications
        ),
        Role::Commissioner => matches!(
            permission,
            ReadOrganisation
                | ReadAudit
                | ReadStreams
                | ManageStreams
                | ReadProviders
                | ManageProviders
                | ReadContracts
                | ManageContracts
                | ReadMeasures
                | ManageMeasures
                | ReadReturns
                | WriteReturns
                | ReviewReturns
                | ReadReports
                | ImportStreams
                | ImportProviders
                | ImportAwards
                | ImportReturns
                | ReadPublications
        ),
        Role::Finance => matches!(
            permission,
            ReadOrganisation
                | ReadStreams
                | ReadProviders
                | ReadContracts
                | RecordPayments
                | ReadMeasures
                | ReadReturns
                | ReadReports
                | ImportPayments
                | ReadPublications
        ),
        Role::Provider => matches!(
            permission,
            ReadOrganisation
                | ReadProviders
                | ReadContracts
                | ReadMeasures
                | ReadReturns
                | WriteReturns
        ),
    }
}

/// Who is calling, from a verified token.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub organisation_id: OrganisationId,
    pub role: Role,
    pub provider_id: Option<ProviderId>,
}

impl Actor {
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if permits(self.role, permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden("your role does not allow this"))
        }
    }

    /// Who, exactly, is calling: the role, the provider a provider token acts
    /// for, and the token's subject (the organisation is kept beside it).
    /// Idempotency keys belong to a principal, so a replay only ever returns
    /// what the same principal created.
    pub fn principal(&self) -> String {
        format!(
            "{}:{}:{}",
            self.role.as_str(),
            self.provider_id.as_ref().map_or("-", ProviderId::as_str),
            self.subject
        )
    }

    /// The records this actor may see.
    pub fn scope(&self) -> Scope {
        Scope {
            organisation_id: self.organisation_id,
            provider_id: self.provider_id,
        }
    }
}

/// Records visible to a caller: one organisation's, and for a provider token
/// only that provider's. Anything outside it reads as not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub organisation_id: OrganisationId,
    pub provider_id: Option<ProviderId>,
}

impl Scope {
    /// Everything in one organisation (what its commissioners and finance see).
    pub fn organisation(organisation_id: OrganisationId) -> Scope {
        Scope {
            organisation_id,
            provider_id: None,
        }
    }
}

/// The claims this service puts in the tokens it mints.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org: OrganisationId,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ProviderId>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// The claims read from a verified token. `iss`, `aud`, `exp`, `nbf` and
/// `sub` are checked by the validation itself (so `aud` may also be a list,
/// as some identity providers send it); other claims are ignored.
#[derive(Debug, Deserialize)]
struct CallerClaims {
    sub: String,
    org: OrganisationId,
    role: Role,
    #[serde(default)]
    provider_id: Option<ProviderId>,
}

/// The one answer to every refused token, whatever the reason: the reason is
/// logged at debug level and never told to the caller.
pub const TOKEN_REFUSED: &str = "the bearer token is missing, invalid or expired";

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

pub const MIN_SECRET_BYTES: usize = 32;

/// The keys for the one accepted algorithm: HS256 with a shared secret, or
/// RS256/EdDSA with a public key (so an identity provider can issue tokens)
/// and, optionally, the private key so that this service can mint them too.
#[derive(Clone)]
pub struct TokenKeys {
    algorithm: Algorithm,
    decoding: DecodingKey,
    /// None when only a public key is configured.
    encoding: Option<EncodingKey>,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    /// HS256 with a shared secret of at least [`MIN_SECRET_BYTES`].
    pub fn from_secret(secret: &[u8], issuer: &str, audience: &str) -> Result<TokenKeys, AppError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AppError::internal_message(format!(
                "the token secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        Ok(TokenKeys {
            algorithm: Algorithm::HS256,
            decoding: DecodingKey::from_secret(secret),
            encoding: Some(EncodingKey::from_secret(secret)),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// RS256 or EdDSA verification with a PEM public key
    /// (`-----BEGIN PUBLIC KEY-----`; for RS256 also `RSA PUBLIC KEY`).
    /// Such keys verify but cannot mint until [`TokenKeys::with_private_pem`].
    pub fn from_public_pem(
        algorithm: Algorithm,
        pem: &[u8],
        issuer: &str,
        audience: &str,
    ) -> Result<TokenKeys, AppError> {
        let decoding = read_pem_key(algorithm, pem, &PUBLIC_KEY)?;
        Ok(TokenKeys {
            algorithm,
            decoding,
            encoding: None,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// Adds the PEM private key (PKCS#8 `-----BEGIN PRIVATE KEY-----`; for
    /// RS256 also `RSA PRIVATE KEY`) so that these keys can mint. It must
    /// belong to the public key, or every token minted would be refused.
    pub fn with_private_pem(self, pem: &[u8]) -> Result<TokenKeys, AppError> {
        let algorithm = self.algorithm;
        let encoding = read_pem_key(algorithm, pem, &PRIVATE_KEY)?;
        let probe = b"commissioning: does the private key belong to the public key?";
        let signature = jsonwebtoken::crypto::sign(probe, &encoding, algorithm)
            .map_err(|e| AppError::internal("the private key cannot sign", e))?;
        let matches = jsonwebtoken::crypto::verify(&signature, probe, &self.decoding, algorithm)
            .unwrap_or(false);
        if !matches {
            return Err(AppError::internal_message(
                "the private key does not belong to the public key",
            ));
        }
        Ok(TokenKeys {
            encoding: Some(encoding),
            ..self
        })
    }

    /// The one algorithm tokens must be signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether these keys can sign tokens (false with only a public key).
    pub fn can_mint(&self) -> bool {
        self.encoding.is_some()
    }

    /// Mints a token valid for `ttl_seconds`.
    pub fn mint(
        &self,
        subject: &str,
        organisation_id: OrganisationId,
        role: Role,
        provider_id: Option<ProviderId>,
        ttl_seconds: i64,
    ) -> Result<String, AppError> {
        let Some(encoding) = &self.encoding else {
            return Err(AppError::internal_message(format!(
                "tokens come from the identity provider: with TOKEN_ALGORITHM={:?} this service \
                 mints them only when TOKEN_PRIVATE_KEY_FILE is configured",
                self.algorithm
            )));
        };
        if (role == Role::Provider) != provider_id.is_some() {
            return Err(AppError::field(
                "provider_id",
                "a provider token needs a provider id, and only a provider token may have one",
            ));
        }
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            org: organisation_id,
            role,
            provider_id,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
        };
        encode(&Header::new(self.algorithm), &claims, encoding)
            .map_err(|e| AppError::internal("cannot sign token", e))
    }

    /// Verifies the signature with the configured algorithm only (so `none`,
    /// and an HS256 token when a public key is configured, are refused),
    /// then issuer, audience, expiry and not-before, all required. Every
    /// failure is the same 401.
    pub fn verify(&self, token: &str) -> Result<Actor, AppError> {
        let mut validation = Validation::new(self.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let claims = decode::<CallerClaims>(token, &self.decoding, &validation)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                AppError::Unauthorized(TOKEN_REFUSED)
            })?
            .claims;
        if claims.sub.is_empty() {
            tracing::debug!("token refused: empty subject");
            return Err(AppError::Unauthorized(TOKEN_REFUSED));
        }
        if (claims.role == Role::Provider) != claims.provider_id.is_some() {
            tracing::debug!("token refused: provider_id does not match the role");
            return Err(AppError::Unauthorized(TOKEN_REFUSED));
        }
        Ok(Actor {
            subject: claims.sub,
            organisation_id: claims.org,
            role: claims.role,
            provider_id: claims.provider_id,
        })
    }
}

/// Refuses a PEM whose label is not one of `labels`, e.g. a private key
/// given where the public key belongs.
/// How one half of a key pair is read from PEM (see [`read_pem_key`]).
struct PemKey<K> {
    /// `public` or `private`, as its PEM label and messages name it.
    half: &'static str,
    rsa: fn(&[u8]) -> jsonwebtoken::errors::Result<K>,
    ed: fn(&[u8]) -> jsonwebtoken::errors::Result<K>,
}

const PUBLIC_KEY: PemKey<DecodingKey> = PemKey {
    half: "public",
    rsa: DecodingKey::from_rsa_pem,
    ed: DecodingKey::from_ed_pem,
};

const PRIVATE_KEY: PemKey<EncodingKey> = PemKey {
    half: "private",
    rsa: EncodingKey::from_rsa_pem,
    ed: EncodingKey::from_ed_pem,
};

/// `algorithm`'s public or private key from PEM, labelled as PKCS#8 labels
/// it (`PUBLIC KEY`) or, for RS256, also as PKCS#1 does (`RSA PUBLIC KEY`).
fn read_pem_key<K>(algorithm: Algorithm, pem: &[u8], key: &PemKey<K>) -> Result<K, AppError> {
    let pkcs8 = format!("{} KEY", key.half.to_ascii_uppercase());
    let pkcs1 = format!("RSA {pkcs8}");
    let (labels, read) = match algorithm {
        Algorithm::RS256 => (vec![pkcs8.as_str(), pkcs1.as_str()], key.rsa),
        Algorithm::EdDSA => (vec![pkcs8.as_str()], key.ed),
        other => return Err(unsupported_key_algorithm(other)),
    };
    let kind = key_kind(algorithm, key.half);
    expect_pem_label(pem, &labels, &kind)?;
    read(pem).map_err(|e| AppError::internal(format!("the key is not {kind} in PEM form"), e))
}

fn expect_pem_label(pem: &[u8], labels: &[&str], wanted: &str) -> Result<(), AppError> {
    let label = std::str::from_utf8(pem).ok().and_then(|text| {
        let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
        let rest = &text[start..];
        Some(rest[..rest.find("-----")?].to_owned())
    });
    match label {
        Some(label) if labels.contains(&label.as_str()) => Ok(()),
        Some(label) => Err(AppError::internal_message(format!(
            "expected {wanted} in PEM form (-----BEGIN {}-----), found -----BEGIN {label}-----",
            labels[0]
        ))),
        None => Err(AppError::internal_message(format!(
            "expected {wanted} in PEM form (-----BEGIN {}-----), found no PEM",
            labels[0]
        ))),
    }
}

fn key_kind(algorithm: Algorithm, half: &str) -> String {
    match algorithm {
        Algorithm::EdDSA => format!("an Ed25519 {half} key"),
        _ => format!("an RSA {half} key"),
    }
}

fn unsupported_key_algorithm(algorithm: Algorithm) -> AppError {
    AppError::internal_message(format!(
        "{algorithm:?} is not supported with a key pair: use RS256 or EdDSA"
    ))
}

/// A new random secret, hex-encoded (for the generated key file).
pub fn random_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal("no randomness", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/test-rsa-public.pem");
    const RSA_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/test-rsa-private.pem");
    const ED_PUBLIC: &[u8] = include_bytes!("../tests/fixtures/test-ed25519-public.pem");
    const ED_PRIVATE: &[u8] = include_bytes!("../tests/fixtures/test-ed25519-private.pem");

    fn org() -> OrganisationId {
        OrganisationId::parse("0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e5f").expect("an id")
    }

    fn provider() -> ProviderId {
        ProviderId::parse("0190f0c2-7a4b-7c3d-8e9f-0a1b2c3d4e60").expect("an id")
    }

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7u8; 32], "iss", "aud").expect("keys")
    }

    fn rsa_keys() -> TokenKeys {
        TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "iss", "aud")
            .expect("public key")
            .with_private_pem(RSA_PRIVATE)
            .expect("private key")
    }

    #[test]
    fn a_minted_token_verifies() {
        let token = keys()
            .mint("alice", org(), Role::Finance, None, 60)
            .expect("token");
        let actor = keys().verify(&token).expect("valid");
        assert_eq!(actor.organisation_id, org());
        assert_eq!(actor.role, Role::Finance);
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let expired = keys()
            .mint("a", org(), Role::Finance, None, -3600)
            .expect("token");
        assert!(keys().verify(&expired).is_err());
        let other = TokenKeys::from_secret(&[8u8; 32], "iss", "aud").expect("keys");
        let foreign = other
            .mint("a", org(), Role::Finance, None, 60)
            .expect("token");
        assert!(keys().verify(&foreign).is_err());
        let wrong_audience = TokenKeys::from_secret(&[7u8; 32], "iss", "elsewhere").expect("keys");
        let token = wrong_audience
            .mint("a", org(), Role::Finance, None, 60)
            .expect("token");
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::from_secret(b"short", "i", "a").is_err());
    }

    #[test]
    fn rs256_and_eddsa_tokens_verify_with_the_public_key_alone() {
        let token = rsa_keys()
            .mint("a", org(), Role::Admin, None, 60)
            .expect("token");
        let verifier =
            TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "iss", "aud").expect("keys");
        assert_eq!(verifier.verify(&token).expect("valid").role, Role::Admin);

        let ed = TokenKeys::from_public_pem(Algorithm::EdDSA, ED_PUBLIC, "iss", "aud")
            .expect("public key")
            .with_private_pem(ED_PRIVATE)
            .expect("private key");
        let token = ed.mint("a", org(), Role::Finance, None, 60).expect("token");
        let verifier =
            TokenKeys::from_public_pem(Algorithm::EdDSA, ED_PUBLIC, "iss", "aud").expect("keys");
        assert_eq!(verifier.verify(&token).expect("valid").role, Role::Finance);
        assert!(
            TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "iss", "aud")
                .expect("keys")
                .verify(&token)
                .is_err(),
            "an EdDSA token is refused when RS256 is configured"
        );
    }

    #[test]
    fn a_public_key_alone_cannot_mint() {
        let keys =
            TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "iss", "aud").expect("keys");
        assert!(!keys.can_mint());
        match keys.mint("a", org(), Role::Admin, None, 60) {
            Err(AppError::Internal { context, .. }) => {
                assert!(context.contains("identity provider"))
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn keys_of_the_wrong_kind_are_refused() {
        // A private key where the public key belongs.
        assert!(TokenKeys::from_public_pem(Algorithm::RS256, RSA_PRIVATE, "i", "a").is_err());
        // An Ed25519 key for RS256 and an RSA key for EdDSA.
        assert!(TokenKeys::from_public_pem(Algorithm::RS256, ED_PUBLIC, "i", "a").is_err());
        assert!(TokenKeys::from_public_pem(Algorithm::EdDSA, RSA_PUBLIC, "i", "a").is_err());
        // Not PEM at all, and an algorithm that takes no key pair.
        assert!(TokenKeys::from_public_pem(Algorithm::RS256, b"secret", "i", "a").is_err());
        assert!(TokenKeys::from_public_pem(Algorithm::HS256, RSA_PUBLIC, "i", "a").is_err());
        // A public key where the private key belongs, and a private key of
        // another pair.
        let rsa = TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "i", "a").expect("keys");
        assert!(rsa.clone().with_private_pem(RSA_PUBLIC).is_err());
        assert!(rsa.with_private_pem(ED_PRIVATE).is_err());
    }

    #[test]
    fn a_private_key_of_another_pair_is_refused() {
        let ed = TokenKeys::from_public_pem(Algorithm::EdDSA, ED_PUBLIC, "i", "a").expect("keys");
        // An Ed25519 key generated for this test only, not the fixture's pair.
        let stranger = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBGWbXgpSlP861lMjNyBYcT0V6g2drCrvqnUTr4gHggi\n-----END PRIVATE KEY-----\n";
        match ed.with_private_pem(stranger) {
            Err(AppError::Internal { context, .. }) => assert!(context.contains("does not belong")),
            other => panic!("expected a mismatch, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn an_hs256_token_is_refused_when_rs256_is_configured() {
        // The classic confusion: the public key's bytes used as an HMAC secret.
        let confused = TokenKeys::from_secret(RSA_PUBLIC, "iss", "aud").expect("keys");
        let token = confused
            .mint("a", org(), Role::Admin, None, 60)
            .expect("token");
        let rsa =
            TokenKeys::from_public_pem(Algorithm::RS256, RSA_PUBLIC, "iss", "aud").expect("keys");
        assert!(rsa.verify(&token).is_err());
    }

    #[test]
    fn a_provider_token_needs_its_provider() {
        assert!(keys().mint("a", org(), Role::Provider, None, 60).is_err());
        assert!(keys()
            .mint("a", org(), Role::Admin, Some(provider()), 60)
            .is_err());
        let token = keys()
            .mint("a", org(), Role::Provider, Some(provider()), 60)
            .expect("token");
        let actor = keys().verify(&token).expect("valid");
        assert_eq!(actor.provider_id, Some(provider()));
    }

    const ALL: [Permission; 16] = [
        Permission::ReadOrganisation,
        Permission::ManageOrganisation,
        Permission::ReadAudit,
        Permission::ReadStreams,
        Permission::ManageStreams,
        Permission::ReadProviders,
        Permission::ManageProviders,
        Permission::ReadContracts,
        Permission::ManageContracts,
        Permission::RecordPayments,
        Permission::ReadMeasures,
        Permission::ManageMeasures,
        Permission::ReadReturns,
        Permission::WriteReturns,
        Permission::ReviewReturns,
        Permission::ReadReports,
    ];

    fn granted(role: Role) -> Vec<Permission> {
        ALL.into_iter().filter(|p| permits(role, *p)).collect()
    }

    #[test]
    fn the_access_matrix() {
        use Permission::*;
        assert_eq!(
            granted(Role::Admin),
            [ReadOrganisation, ManageOrganisation, ReadAudit]
        );
        assert_eq!(
            granted(Role::Commissioner),
            [
                ReadOrganisation,
                ReadAudit,
                ReadStreams,
                ManageStreams,
                ReadProviders,
                ManageProviders,
                ReadContracts,
                ManageContracts,
                ReadMeasures,
                ManageMeasures,
                ReadReturns,
                WriteReturns,
                ReviewReturns,
                ReadReports
            ]
        );
        assert_eq!(
            granted(Role::Finance),
            [
                ReadOrganisation,
                ReadStreams,
                ReadProviders,
                ReadContracts,
                RecordPayments,
                ReadMeasures,
                ReadReturns,
                ReadReports
            ]
        );
        assert_eq!(
            granted(Role::Provider),
            [
                ReadOrganisation,
                ReadProviders,
                ReadContracts,
                ReadMeasures,
                ReadReturns,
                WriteReturns
            ]
        );
    }

    #[test]
    fn finance_records_payments_and_no_one_else_does() {
        assert!(permits(Role::Finance, Permission::RecordPayments));
        assert!(!permits(Role::Commissioner, Permission::RecordPayments));
        assert!(!permits(Role::Admin, Permission::RecordPayments));
        assert!(!permits(Role::Finance, Permission::ManageContracts));
        assert!(!permits(Role::Provider, Permission::ReadStreams));
        assert!(!permits(Role::Commissioner, Permission::ManageOrganisation));
    }
}
