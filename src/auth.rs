//! Bearer tokens, roles and what each role may do. Every request (but health
//! and docs) carries a JWT naming an organisation and a role; a `provider`
//! token is also bound to one provider. Permissions are decided here and
//! nowhere else; record scoping (organisation, provider) is applied by the
//! queries through [`Scope`].

use chrono::Utc;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The commissioning team: creates and changes streams, providers, contracts, returns.
    Commissioner,
    /// Finance: reads everything in the organisation and records payments.
    Finance,
    /// A provider: sees only its own provider record, contracts and returns.
    Provider,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commissioner => "commissioner",
            Role::Finance => "finance",
            Role::Provider => "provider",
        }
    }
}

/// Something a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadOrganisation,
    ManageOrganisation,
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
}

/// The access matrix. Provider access is further narrowed to the provider's
/// own records by [`Scope`].
pub fn permits(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Commissioner => permission != RecordPayments,
        Role::Finance => matches!(
            permission,
            ReadOrganisation
                | ReadStreams
                | ReadProviders
                | ReadContracts
                | RecordPayments
                | ReadMeasures
                | ReadReturns
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
    pub organisation_id: String,
    pub role: Role,
    pub provider_id: Option<String>,
}

impl Actor {
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if permits(self.role, permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden("your role does not allow this"))
        }
    }

    /// The records this actor may see.
    pub fn scope(&self) -> Scope {
        Scope {
            organisation_id: self.organisation_id.clone(),
            provider_id: self.provider_id.clone(),
        }
    }
}

/// Records visible to a caller: one organisation's, and for a provider token
/// only that provider's. Anything outside it reads as not found.
#[derive(Debug, Clone)]
pub struct Scope {
    pub organisation_id: String,
    pub provider_id: Option<String>,
}

impl Scope {
    /// Everything in one organisation (what its commissioners and finance see).
    pub fn organisation(organisation_id: &str) -> Scope {
        Scope {
            organisation_id: organisation_id.to_owned(),
            provider_id: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Signing and verification keys (HS256 with a shared secret).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl TokenKeys {
    pub fn from_secret(secret: &[u8], issuer: &str, audience: &str) -> Result<TokenKeys, AppError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(AppError::Internal(format!(
                "the token secret must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// Mints a token valid for `ttl_seconds`.
    pub fn mint(
        &self,
        subject: &str,
        organisation_id: &str,
        role: Role,
        provider_id: Option<&str>,
        ttl_seconds: i64,
    ) -> Result<String, AppError> {
        if (role == Role::Provider) != provider_id.is_some() {
            return Err(AppError::field(
                "provider_id",
                "a provider token needs a provider id, and only a provider token may have one",
            ));
        }
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            org: organisation_id.to_owned(),
            role,
            provider_id: provider_id.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("cannot sign token: {e}")))
    }

    /// Verifies signature, algorithm, issuer, audience, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Actor, AppError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            AppError::Unauthorized("the bearer token is missing, invalid or expired")
        })?;
        let claims = data.claims;
        if (claims.role == Role::Provider) != claims.provider_id.is_some() {
            return Err(AppError::Unauthorized(
                "the bearer token is missing, invalid or expired",
            ));
        }
        Ok(Actor {
            subject: claims.sub,
            organisation_id: claims.org,
            role: claims.role,
            provider_id: claims.provider_id,
        })
    }
}

/// A new random secret, hex-encoded (for the generated key file).
pub fn random_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7u8; 32], "iss", "aud").expect("keys")
    }

    #[test]
    fn a_minted_token_verifies() {
        let token = keys()
            .mint("alice", "org1", Role::Finance, None, 60)
            .expect("token");
        let actor = keys().verify(&token).expect("valid");
        assert_eq!(actor.organisation_id, "org1");
        assert_eq!(actor.role, Role::Finance);
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let expired = keys()
            .mint("a", "o", Role::Finance, None, -3600)
            .expect("token");
        assert!(keys().verify(&expired).is_err());
        let other = TokenKeys::from_secret(&[8u8; 32], "iss", "aud").expect("keys");
        let foreign = other
            .mint("a", "o", Role::Finance, None, 60)
            .expect("token");
        assert!(keys().verify(&foreign).is_err());
        let wrong_audience = TokenKeys::from_secret(&[7u8; 32], "iss", "elsewhere").expect("keys");
        let token = wrong_audience
            .mint("a", "o", Role::Finance, None, 60)
            .expect("token");
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::from_secret(b"short", "i", "a").is_err());
    }

    #[test]
    fn finance_records_payments_and_commissioners_do_not() {
        assert!(permits(Role::Finance, Permission::RecordPayments));
        assert!(!permits(Role::Commissioner, Permission::RecordPayments));
        assert!(!permits(Role::Finance, Permission::ManageContracts));
        assert!(!permits(Role::Provider, Permission::ReadStreams));
    }
}
