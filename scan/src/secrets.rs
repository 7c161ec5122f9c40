//! Telling a secret from a reference, and naming what a secret is: its
//! kind and provider from its well-known prefix (`ghp_`, `AKIA`, `sk-ant-`)
//! or from the name it is stored under (`OPENAI_API_KEY`), and a hint that
//! says which secret it is to a person without saying enough to guess it.

use model::api::CredentialKind;

/// A secret value, kept in memory only; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Value(pub(crate) String);

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value(<{} characters hidden>)", self.0.chars().count())
    }
}

impl Value {
    /// The bytes to fingerprint.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// What a secret is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Its kind.
    pub kind: CredentialKind,
    /// Its provider.
    pub provider: String,
    /// An identifier that is not secret (an AWS access key id).
    pub external_id: Option<String>,
}

/// Prefixes that say what a token is, longest first where they overlap.
const PREFIXES: &[(&str, CredentialKind, &str)] = &[
    ("github_pat_", CredentialKind::PersonalAccessToken, "github"),
    ("ghp_", CredentialKind::PersonalAccessToken, "github"),
    ("gho_", CredentialKind::OauthGrant, "github"),
    ("ghu_", CredentialKind::OauthGrant, "github"),
    ("ghs_", CredentialKind::ApiKey, "github"),
    ("ghr_", CredentialKind::OauthGrant, "github"),
    ("glpat-", CredentialKind::PersonalAccessToken, "gitlab"),
    ("sk-ant-", CredentialKind::ApiKey, "anthropic"),
    ("sk-proj-", CredentialKind::ApiKey, "openai"),
    ("sk-svcacct-", CredentialKind::ServiceAccountKey, "openai"),
    ("xoxb-", CredentialKind::ApiKey, "slack"),
    ("xoxp-", CredentialKind::OauthGrant, "slack"),
    ("xapp-", CredentialKind::ApiKey, "slack"),
    ("sk_live_", CredentialKind::ApiKey, "stripe"),
    ("rk_live_", CredentialKind::ApiKey, "stripe"),
    ("sk_test_", CredentialKind::ApiKey, "stripe"),
    ("npm_", CredentialKind::ApiKey, "npm"),
    ("hf_", CredentialKind::ApiKey, "huggingface"),
    ("AIza", CredentialKind::ApiKey, "google"),
    ("lin_api_", CredentialKind::ApiKey, "linear"),
    ("ntn_", CredentialKind::ApiKey, "notion"),
    ("secret_", CredentialKind::ApiKey, "notion"),
    ("dop_v1_", CredentialKind::ApiKey, "digitalocean"),
    ("pypi-", CredentialKind::ApiKey, "pypi"),
    ("sntrys_", CredentialKind::ApiKey, "sentry"),
    ("sk-", CredentialKind::ApiKey, "openai"),
];

/// Words in a variable's or header's name that say its value is a secret.
const SECRET_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "AUTH",
    "CREDENTIAL",
    "PAT",
    "_KEY",
];

/// Whether a name (`GITHUB_TOKEN`, `x-api-key`) says its value is a secret.
pub fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    if upper.ends_with("_KEY_ID")
        || upper.ends_with("KEY_ID")
        || upper.ends_with("_USER")
        || upper.ends_with("_URL")
    {
        return false;
    }
    SECRET_WORDS.iter().any(|word| {
        if *word == "PAT" {
            upper.split('_').any(|part| part == "PAT")
        } else if *word == "_KEY" {
            upper.ends_with("_KEY") || upper == "KEY"
        } else {
            upper.contains(word)
        }
    })
}

/// The placeholder a value is, if it names a secret kept elsewhere rather
/// than holding one: `${env:NAME}`, `${input:id}`, `${NAME}`, `$NAME`,
/// `{{NAME}}`, `%NAME%`, `<your-token>`, or an obvious filler.
pub fn placeholder(value: &str) -> Option<String> {
    let v = value.trim();
    let bearer = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .or_else(|| v.strip_prefix("token "))
        .unwrap_or(v)
        .trim();
    let is_ref = bearer.contains("${")
        || bearer.contains("{{")
        || (bearer.starts_with('$')
            && bearer.len() > 1
            && bearer[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || (bearer.starts_with('%') && bearer.ends_with('%') && bearer.len() > 2)
        || (bearer.starts_with('<') && bearer.ends_with('>'))
        || bearer.starts_with("env:")
        || bearer.starts_with("op://")
        || bearer.starts_with("vault:");
    if is_ref {
        return Some(v.to_owned());
    }
    let lower = bearer.to_ascii_lowercase();
    let filler = lower.is_empty()
        || lower.contains("your_")
        || lower.contains("your-")
        || lower.starts_with("xxx")
        || lower.starts_with("...")
        || matches!(
            lower.as_str(),
            "changeme"
                | "placeholder"
                | "redacted"
                | "none"
                | "null"
                | "todo"
                | "secret"
                | "token"
                | "password"
        );
    filler.then(|| v.to_owned())
}

/// Whether `value` looks like a token whatever name it is stored under.
pub fn known_prefix(value: &str) -> bool {
    let v = value.trim();
    (PREFIXES.iter().any(|(p, _, _)| v.starts_with(p)) && v.len() >= 16 && !v.contains(char::is_whitespace))
        || aws_key_id(v).is_some()
        || v.starts_with("-----BEGIN") && v.contains("PRIVATE KEY")
}

/// An AWS access key id: `AKIA`/`ASIA` and 16 more capitals or digits. It is
/// not secret: it names the key in CloudTrail and IAM.
pub fn aws_key_id(value: &str) -> Option<String> {
    let id = value.get(..20)?;
    ((id.starts_with("AKIA") || id.starts_with("ASIA"))
        && value.len() == 20
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    .then(|| id.to_owned())
}

/// What a secret is, from its value and the name it is stored under.
pub fn classify(name: &str, value: &str) -> Classified {
    let v = value.trim();
    if let Some((_, kind, provider)) = PREFIXES.iter().find(|(p, _, _)| v.starts_with(p)) {
        return Classified {
            kind: *kind,
            provider: (*provider).to_owned(),
            external_id: None,
        };
    }
    if v.starts_with("-----BEGIN") {
        let kind = if v.contains("OPENSSH") || v.contains("RSA PRIVATE") {
            CredentialKind::SshKey
        } else {
            CredentialKind::Certificate
        };
        return Classified {
            kind,
            provider: "tls".into(),
            external_id: None,
        };
    }
    let upper = name.to_ascii_uppercase();
    let provider = [
        ("GITHUB", "github"),
        ("GH_", "github"),
        ("GITLAB", "gitlab"),
        ("OPENAI", "openai"),
        ("ANTHROPIC", "anthropic"),
        ("AWS", "aws"),
        ("SLACK", "slack"),
        ("STRIPE", "stripe"),
        ("DATABASE", "database"),
        ("POSTGRES", "postgres"),
        ("PG", "postgres"),
        ("MYSQL", "mysql"),
        ("MONGO", "mongodb"),
        ("REDIS", "redis"),
        ("GOOGLE", "google"),
        ("GEMINI", "google"),
        ("AZURE", "azure"),
        ("LINEAR", "linear"),
        ("NOTION", "notion"),
        ("SENTRY", "sentry"),
        ("JIRA", "atlassian"),
        ("ATLASSIAN", "atlassian"),
        ("HUGGINGFACE", "huggingface"),
        ("HF_", "huggingface"),
    ]
    .iter()
    .find(|(word, _)| upper.starts_with(word) || upper.contains(&format!("_{word}")))
    .map(|(_, p)| (*p).to_owned())
    .unwrap_or_else(|| "unknown".to_owned());
    let kind = if upper.contains("PASSWORD") || upper.contains("PASSWD") {
        CredentialKind::ApiKey
    } else if upper.contains("PAT") && provider == "github" {
        CredentialKind::PersonalAccessToken
    } else if provider == "aws" {
        CredentialKind::AccessKey
    } else {
        CredentialKind::ApiKey
    };
    Classified {
        kind,
        provider,
        external_id: None,
    }
}

/// GitHub's public identifier of a GitHub token in its audit log
/// (`hashed_token`: the base64 of the token's SHA-256), so that the server
/// joins this copy to the token's activity there. Other secrets: none.
pub fn provider_hash(value: &str) -> Option<String> {
    use base64::Engine;
    use sha2::Digest;
    ["ghp_", "github_pat_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|prefix| value.starts_with(prefix))
        .then(|| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(value.as_bytes())))
}

/// A hint a person can match against what they hold: the well-known prefix
/// and the length (`ghp_…(40)`), never characters of the secret proper.
pub fn hint(value: &str) -> String {
    let v = value.trim();
    let length = v.chars().count();
    match PREFIXES.iter().find(|(p, _, _)| v.starts_with(p)) {
        Some((prefix, _, _)) => format!("{prefix}…({length})"),
        None if v.starts_with("-----BEGIN") => {
            let label: String = v.lines().next().unwrap_or("").chars().take(40).collect();
            format!("{label} ({length})")
        }
        None => format!("…({length})"),
    }
}

/// The password of a URL with credentials (`postgres://app:pw@db/x`,
/// `https://user:token@github.com`): the scheme, the user, the host, and
/// the password. `None` when the URL carries no password.
pub fn url_password(text: &str) -> Option<UrlCredentials> {
    let (scheme, rest) = text.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    if password.is_empty() || placeholder(password).is_some() {
        return None;
    }
    Some(UrlCredentials {
        scheme: scheme.to_ascii_lowercase(),
        user: user.to_owned(),
        host: host.to_owned(),
        // A password in a URL is percent-encoded.
        password: Value(
            percent_encoding::percent_decode_str(password)
                .decode_utf8_lossy()
                .into_owned(),
        ),
    })
}

/// Whose a host is: the code hosts by name, any other host as itself.
pub fn host_provider(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        h if h.ends_with("github.com") => "github".into(),
        h if h.ends_with("gitlab.com") => "gitlab".into(),
        h if h.ends_with("bitbucket.org") => "bitbucket".into(),
        _ => host,
    }
}

/// What a password is: by its own prefix when it has a known one, else an
/// API key of `provider`.
pub fn classify_password(password: &str, provider: String) -> Classified {
    let by_prefix = classify("", password);
    if by_prefix.provider != "unknown" {
        return by_prefix;
    }
    Classified {
        kind: CredentialKind::ApiKey,
        provider,
        external_id: None,
    }
}

/// The parts of a URL with credentials.
#[derive(Debug, Clone)]
pub struct UrlCredentials {
    /// `postgres`, `https`, ...
    pub scheme: String,
    /// The user name (not secret).
    pub user: String,
    /// The host (and port).
    pub host: String,
    /// The password.
    pub password: Value,
}

impl UrlCredentials {
    /// Who the credential belongs to: the database's scheme, or the host's service.
    pub fn provider(&self) -> String {
        let host = self.host.split(':').next().unwrap_or("").to_ascii_lowercase();
        match self.scheme.as_str() {
            "postgres" | "postgresql" => "postgres".into(),
            "mongodb" | "mongodb+srv" => "mongodb".into(),
            "http" | "https" => host_provider(&host),
            other => other.to_owned(),
        }
    }

    /// What the password is: by its own prefix when it has a known one (a
    /// GitHub token in a git URL), else by the URL (a database password).
    pub fn classified(&self) -> Classified {
        classify_password(&String::from_utf8_lossy(self.password.expose()), self.provider())
    }

    /// The URL with its password hidden (`postgres://app:…@db/x`).
    pub fn redacted(&self) -> String {
        format!("{}://{}:…@{}", self.scheme, self.user, self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_github_tokens_have_a_provider_hash_and_it_is_githubs_hashed_token() {
        // printf %s abc | sha256sum | xxd -r -p | base64
        assert_eq!(provider_hash("ghp_abc").map(|h| h.len()), Some(44));
        assert_eq!(provider_hash("AKIAIOSFODNN7EXAMPLE"), None);
        assert_ne!(provider_hash("ghp_a"), provider_hash("ghp_b"));
    }

    #[test]
    fn placeholders_are_references_and_tokens_are_secrets() {
        for reference in [
            "${env:GITHUB_TOKEN}",
            "${input:github_token}",
            "${GITHUB_TOKEN}",
            "$GITHUB_TOKEN",
            "{{ secrets.TOKEN }}",
            "%GITHUB_TOKEN%",
            "<your-token>",
            "Bearer ${env:API_KEY}",
            "YOUR_API_KEY_HERE",
            "",
        ] {
            assert!(placeholder(reference).is_some(), "{reference}");
        }
        for secret in [
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "s3cr3t-p4ss",
            "Bearer abc.def.ghi",
        ] {
            assert!(placeholder(secret).is_none(), "{secret}");
        }
    }

    #[test]
    fn a_token_is_named_by_its_prefix_and_hinted_without_its_body() {
        let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
        let c = classify("WHATEVER", token);
        assert_eq!(
            (c.kind, c.provider.as_str()),
            (CredentialKind::PersonalAccessToken, "github")
        );
        assert_eq!(hint(token), "ghp_…(40)");
        assert!(!hint(token).contains("abcdef"));
        assert_eq!(classify("OPENAI_API_KEY", "opaque-value-123").provider, "openai");
        assert_eq!(classify("x", "sk-ant-api03-xyz").provider, "anthropic");
        assert_eq!(
            aws_key_id("AKIAIOSFODNN7EXAMPLE").as_deref(),
            Some("AKIAIOSFODNN7EXAMPLE")
        );
        assert_eq!(aws_key_id("AKIAIOSFODNN7EXAMPLEX"), None);
    }

    #[test]
    fn names_say_which_values_are_secrets() {
        for name in [
            "GITHUB_TOKEN",
            "OPENAI_API_KEY",
            "DB_PASSWORD",
            "x-api-key",
            "Authorization",
            "GITHUB_PAT",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "PATH",
            "HOME",
            "DATABASE_URL",
            "LOG_LEVEL",
            "DB_USER",
            "PATTERN",
        ] {
            assert!(!secret_name(name), "{name}");
        }
    }

    #[test]
    fn a_connection_string_gives_its_password_and_hides_it() {
        let found = url_password("postgres://app:p%40ss@db.internal:5432/prod").unwrap();
        assert_eq!(found.password.expose(), b"p@ss");
        assert_eq!(found.provider(), "postgres");
        assert_eq!(found.redacted(), "postgres://app:…@db.internal:5432");
        assert!(url_password("postgres://db.internal/prod").is_none());
        assert!(url_password("postgres://app:${env:PW}@db/prod").is_none());
        assert_eq!(
            url_password("https://bob:ghp_x@github.com").unwrap().provider(),
            "github"
        );
    }
}
