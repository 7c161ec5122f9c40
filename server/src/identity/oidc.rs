//! The organisation's OpenID Connect provider: discovery, the authorization
//! request (code flow with PKCE, `state` and `nonce`), the code exchange and
//! the ID token's checks, all on the `openidconnect` crate (no JOSE of ours).
//!
//! What the crate checks of the ID token: the signature by a key the
//! provider publishes, with an algorithm it advertises; the issuer, compared
//! exactly; the audience (our client id, and no other audience we do not
//! trust); `azp` when there are several audiences or when it is present; the
//! nonce. What we add: a clock leeway of [`LEEWAY`] on `exp` and `iat`, and
//! fetching the provider's keys again once when a signature does not verify
//! (the provider rotated its keys since we last looked).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use super::roles::RoleMap;

/// Clock difference tolerated between us and the provider.
pub const LEEWAY: chrono::Duration = chrono::Duration::seconds(60);
/// How long the provider's metadata and keys are used before being fetched again.
const METADATA_TTL: Duration = Duration::from_secs(600);
/// How long one request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// How Muster signs people in with the provider (`muster serve --oidc-*`).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer, exactly as the provider writes it in its tokens.
    pub issuer: String,
    /// Muster's client id at the provider.
    pub client_id: String,
    /// Muster's client secret at the provider (a public client has none).
    pub client_secret: Option<String>,
    /// The claim that lists a person's groups or app roles (`groups`; a
    /// dotted path reaches into objects: `realm_access.roles`).
    pub roles_claim: String,
    /// Which groups give which of Muster's roles.
    pub role_map: RoleMap,
    /// The scopes asked for (`openid` is always asked).
    pub scopes: Vec<String>,
    /// The address people open Muster at: the redirect URI and the page the
    /// provider sends people back to after signing out are under it.
    pub public_url: Url,
    /// The provider's name on the sign-in button.
    pub name: String,
    /// Whether a local account with a person's email may be linked to them
    /// though the provider does not vouch for the email (never an admin's).
    pub link_local_accounts: bool,
}

impl OidcConfig {
    /// The redirect URI to register at the provider.
    pub fn redirect_uri(&self) -> Url {
        self.public_url
            .join("api/v1/session/oidc/callback")
            .expect("a path joins any base URL")
    }
}

/// The claims of an ID token beyond the standard ones, kept whole: the
/// roles claim is named by configuration, and Entra's `_claim_names` says
/// when the groups were left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

type IdTokenFields = openidconnect::IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type TokenAnswer = StandardTokenResponse<IdTokenFields, CoreTokenType>;
type IdToken = openidconnect::IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type OidcClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenAnswer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What went wrong talking to the provider.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery, the keys or the token endpoint could not be reached or read.
    #[error("the identity provider could not be reached or answered nonsense: {0}")]
    Unreachable(String),
    /// The provider refused the code, or its ID token failed a check.
    #[error("the identity provider's answer failed a check: {0}")]
    Rejected(String),
}

/// The groups a person's ID token lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups {
    /// The claim was there (perhaps empty, perhaps absent: no groups).
    Listed(Vec<String>),
    /// The provider left the groups out and sent a link to them instead
    /// (Entra's group overage: `_claim_names`, or `hasgroups`): unknown,
    /// which is not "none".
    Unknown,
}

/// Who the provider says signed in, once every check passed.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The issuer.
    pub issuer: String,
    /// The provider's stable id of the person.
    pub subject: String,
    /// The person's email (`email`, else an email-shaped `preferred_username` or `upn`).
    pub email: Option<String>,
    /// Whether the provider vouches for the email (absent: it does not say).
    pub email_verified: Option<bool>,
    /// The person's name.
    pub name: Option<String>,
    /// The groups or app roles of the roles claim.
    pub groups: Groups,
    /// The ID token itself, kept with the session for the provider's sign-out.
    pub id_token: String,
}

/// A sign-in just sent to the provider: what must be kept, server-side,
/// to finish it.
#[derive(Debug)]
pub struct Started {
    /// Where the browser goes.
    pub url: Url,
    /// The `state` sent.
    pub state: String,
    /// The `nonce` sent.
    pub nonce: String,
    /// The PKCE verifier of the challenge sent.
    pub pkce_verifier: String,
}

#[derive(Clone)]
struct Discovered {
    client: OidcClient,
    end_session: Option<EndSessionUrl>,
    at: Instant,
}

/// The provider, with its metadata and keys fetched when first needed and
/// again when stale or when a signature did not verify.
pub struct Provider {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: tokio::sync::Mutex<Option<Discovered>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// A provider for `config`; nothing is fetched yet.
    pub fn new(config: OidcConfig) -> anyhow::Result<Arc<Self>> {
        IssuerUrl::new(config.issuer.clone())?;
        let http = reqwest::Client::builder()
            // The crate's advice: a redirect could lead a request elsewhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()?;
        Ok(Arc::new(Self {
            config,
            http,
            discovered: tokio::sync::Mutex::new(None),
        }))
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    async fn discovered(&self, fresh: bool) -> Result<Discovered, OidcError> {
        // The lock is held to read or store, never across the fetch: a slow
        // provider must not hold up every request that needs the metadata.
        if let Some(found) = self.discovered.lock().await.as_ref()
            && !fresh
            && found.at.elapsed() < METADATA_TTL
        {
            return Ok(found.clone());
        }
        let issuer =
            IssuerUrl::new(self.config.issuer.clone()).map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Unreachable(error_chain(&e)))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = OidcClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::from_url(self.config.redirect_uri()));
        let found = Discovered {
            client,
            end_session,
            at: Instant::now(),
        };
        *self.discovered.lock().await = Some(found.clone());
        Ok(found)
    }

    /// Starts a sign-in: the provider's authorization URL, and the state,
    /// nonce and PKCE verifier to keep until the browser comes back.
    pub async fn start(&self) -> Result<Started, OidcError> {
        let found = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = found.client.authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok(Started {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier) and
    /// checks the ID token (with the nonce).
    pub async fn finish(&self, code: &str, nonce: &str, pkce_verifier: &str) -> Result<Identity, OidcError> {
        let found = self.discovered(false).await?;
        let answer = found
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Rejected(error_chain(&e)))?;
        let token = answer
            .id_token()
            .ok_or_else(|| OidcError::Rejected("the answer carries no ID token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match token.claims(&verifier(&found.client), &nonce) {
            Ok(claims) => claims.clone(),
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // Perhaps signed with a key published since we fetched them.
                let again = self.discovered(true).await?;
                token
                    .claims(&verifier(&again.client), &nonce)
                    .map_err(|e| OidcError::Rejected(e.to_string()))?
                    .clone()
            }
            Err(error) => return Err(OidcError::Rejected(error.to_string())),
        };
        let other = &claims.additional_claims().claims;
        // `email_verified` vouches for `email` only: an address taken from
        // `preferred_username` or `upn` is vouched for by nobody.
        let (email, email_verified) = match claims.email() {
            Some(email) => (Some(email.as_str().to_owned()), claims.email_verified()),
            None => (
                ["preferred_username", "upn"]
                    .iter()
                    .filter_map(|name| other.get(*name)?.as_str())
                    .find(|value| crate::auth::normalise_email(value).is_ok())
                    .map(str::to_owned),
                None,
            ),
        };
        let name = claims
            .name()
            .and_then(|names| names.get(None))
            .map(|name| name.as_str().to_owned());
        Ok(Identity {
            issuer: claims.issuer().as_str().to_owned(),
            subject: claims.subject().as_str().to_owned(),
            email,
            email_verified,
            name,
            groups: groups(other, &self.config.roles_claim),
            id_token: token.to_string(),
        })
    }

    /// Where to send a browser to end its session at the provider too, and
    /// come back to Muster, with the session's ID token as a hint (Okta
    /// needs it); `None` when the provider has no end-session endpoint. Read
    /// from the metadata fetched at sign-in, never fetched here.
    pub async fn sign_out_url(&self, id_token: Option<&str>) -> Option<String> {
        let found = self.discovered.lock().await.clone()?;
        let endpoint = found.end_session?;
        let back = PostLogoutRedirectUrl::from_url(self.config.public_url.clone());
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.config.client_id.clone()))
            .set_post_logout_redirect_uri(back);
        if let Some(hint) = id_token.and_then(|t| t.parse::<IdToken>().ok()) {
            request = request.set_id_token_hint(&hint);
        }
        Some(request.http_get_url().to_string())
    }
}

/// The crate's checks, with our clock leeway.
fn verifier(client: &OidcClient) -> openidconnect::IdTokenVerifier<'_, CoreJsonWebKey> {
    client
        .id_token_verifier()
        // `exp` passed less than LEEWAY ago still counts as valid.
        .set_time_fn(|| chrono::Utc::now() - LEEWAY)
        .set_issue_time_verifier_fn(|issued| {
            if issued > chrono::Utc::now() + LEEWAY {
                Err(format!("issued in the future ({issued})"))
            } else {
                Ok(())
            }
        })
}

/// The groups under `claim` (a dotted path reaches into objects): a list of
/// strings, or one string. Absent with an overage marker: [`Groups::Unknown`].
pub fn groups(claims: &Map<String, Value>, claim: &str) -> Groups {
    let mut parts = claim.split('.');
    let first = parts.next().unwrap_or_default();
    let mut value = claims.get(first);
    for part in parts {
        value = value.and_then(|v| v.get(part));
    }
    match value {
        Some(Value::Array(items)) => Groups::Listed(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        Some(Value::String(one)) => Groups::Listed(vec![one.clone()]),
        Some(_) => Groups::Listed(Vec::new()),
        None => {
            let overage = claims
                .get("_claim_names")
                .and_then(Value::as_object)
                .is_some_and(|names| names.contains_key(first))
                || claims.get("hasgroups") == Some(&Value::Bool(true));
            if overage {
                Groups::Unknown
            } else {
                Groups::Listed(Vec::new())
            }
        }
    }
}

/// An error and its causes on one line (the crate's errors wrap the useful part).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn groups_come_from_a_list_a_string_or_a_dotted_path() {
        let listed = |v: &[&str]| Groups::Listed(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            groups(&claims(serde_json::json!({"groups": ["a", "b"]})), "groups"),
            listed(&["a", "b"])
        );
        assert_eq!(
            groups(&claims(serde_json::json!({"roles": "admin"})), "roles"),
            listed(&["admin"])
        );
        assert_eq!(
            groups(
                &claims(serde_json::json!({"realm_access": {"roles": ["x"]}})),
                "realm_access.roles"
            ),
            listed(&["x"])
        );
        assert_eq!(groups(&claims(serde_json::json!({})), "groups"), listed(&[]));
    }

    #[test]
    fn an_entra_group_overage_is_unknown_not_no_groups() {
        let overage = claims(serde_json::json!({
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}
        }));
        assert_eq!(groups(&overage, "groups"), Groups::Unknown);
        assert_eq!(
            groups(&claims(serde_json::json!({"hasgroups": true})), "groups"),
            Groups::Unknown
        );
        // Another claim's overage says nothing about this one.
        assert_eq!(
            groups(
                &claims(serde_json::json!({"_claim_names": {"other": "src1"}})),
                "groups"
            ),
            Groups::Listed(Vec::new())
        );
    }
}
