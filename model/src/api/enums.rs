//! The closed vocabularies of the inventory (categories, kinds, statuses...).
//! Each is a `snake_case` string on the wire and in the database.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The enumeration's name, e.g. `category`.
    pub what: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted values.
    pub expected: Vec<&'static str>,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; expected one of: {}",
            self.what,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Declares a wire enumeration: serde names, `ALL`, `as_str`, `label`, `FromStr`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The value in words, for people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(value: &str) -> Result<Self, UnknownValue> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        what: $what,
                        value: value.to_owned(),
                        expected: vec![$($wire),+],
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Where an agent runs.
    AgentCategory("category") {
        /// A coding agent on an engineer's machine (Cursor, Claude Code, Windsurf, Copilot in the IDE).
        CodingEndpoint = "coding_endpoint", "Coding agent on an endpoint";
        /// An agent the company hosts (LangChain, a custom framework).
        SelfHosted = "self_hosted", "Self-hosted agent";
        /// An agent on a cloud AI platform (Bedrock, Vertex AI, Azure AI Foundry).
        Cloud = "cloud", "Cloud agent";
        /// An agent inside a SaaS product (Copilot, Agentforce, OpenAI connectors).
        Saas = "saas", "SaaS agent";
    }
}

wire_enum! {
    /// A deployment environment.
    Environment("environment") {
        /// Production.
        Prod = "prod", "Production";
        /// Staging.
        Staging = "staging", "Staging";
        /// Development.
        Dev = "dev", "Development";
    }
}

wire_enum! {
    /// What kind of thing a tool is.
    ToolKind("tool kind") {
        /// A Model Context Protocol server.
        McpServer = "mcp_server", "MCP server";
        /// A function the agent calls.
        Function = "function", "Function";
        /// A plugin of the agent's platform.
        Plugin = "plugin", "Plugin";
        /// A connector to a SaaS.
        Connector = "connector", "Connector";
    }
}

wire_enum! {
    /// What kind of non-human identity a credential is.
    CredentialKind("credential kind") {
        /// A cloud access key (e.g. AWS `AKIA...`).
        AccessKey = "access_key", "Access key";
        /// A personal access token (e.g. GitHub `ghp_...`).
        PersonalAccessToken = "personal_access_token", "Personal access token";
        /// An API key of a SaaS or model provider.
        ApiKey = "api_key", "API key";
        /// A cloud service account key (e.g. a GCP JSON key).
        ServiceAccountKey = "service_account_key", "Service account key";
        /// An OAuth grant to an application.
        OauthGrant = "oauth_grant", "OAuth grant";
        /// A cloud role, assumed for short-lived credentials.
        IamRole = "iam_role", "IAM role";
        /// Federation of a workload's identity (OIDC): no stored secret.
        WorkloadIdentityFederation = "workload_identity_federation", "Workload identity federation";
        /// An X.509 client certificate.
        Certificate = "certificate", "Certificate";
        /// An SSH key.
        SshKey = "ssh_key", "SSH key";
    }
}

impl CredentialKind {
    /// Whether the kind holds a long-lived secret (rather than issuing short-lived ones).
    pub fn is_static(self) -> bool {
        !matches!(
            self,
            CredentialKind::IamRole | CredentialKind::WorkloadIdentityFederation
        )
    }
}

wire_enum! {
    /// The life-cycle state of a credential.
    CredentialStatus("credential status") {
        /// Usable.
        Active = "active", "Active";
        /// Switched off, can be switched on again.
        Disabled = "disabled", "Disabled";
        /// Revoked for good.
        Revoked = "revoked", "Revoked";
        /// Past its expiry.
        Expired = "expired", "Expired";
    }
}

wire_enum! {
    /// Where a copy of a secret is stored.
    CopyKind("copy kind") {
        /// A `.env` file.
        EnvFile = "env_file", ".env file";
        /// A CI system's configuration or secret store.
        CiConfig = "ci_config", "CI configuration";
        /// A secrets manager (Vault, AWS Secrets Manager, ...).
        SecretsManager = "secrets_manager", "Secrets manager";
        /// A chat message.
        ChatMessage = "chat_message", "Chat message";
        /// A file in a source repository.
        RepositoryFile = "repository_file", "Repository file";
        /// A file on a laptop or server disk.
        EndpointDisk = "endpoint_disk", "Endpoint disk";
        /// An AI client's MCP configuration file on a laptop or build host.
        McpConfig = "mcp_config", "MCP configuration";
    }
}

impl CopyKind {
    /// Whether the place keeps the secret in plaintext, readable by whoever reads the place.
    pub fn is_plaintext(self) -> bool {
        !matches!(self, CopyKind::SecretsManager)
    }
}

wire_enum! {
    /// Whether a copy is still where it was found.
    CopyStatus("copy status") {
        /// Still there.
        Present = "present", "Present";
        /// Removed.
        Removed = "removed", "Removed";
    }
}

wire_enum! {
    /// What kind of thing a resource is.
    ResourceKind("resource kind") {
        /// A database.
        Database = "database", "Database";
        /// An object-storage bucket.
        Bucket = "bucket", "Bucket";
        /// A source repository.
        Repository = "repository", "Repository";
        /// An object in a SaaS (a Salesforce org, a Google Drive, ...).
        SaasObject = "saas_object", "SaaS object";
        /// An API.
        Api = "api", "API";
    }
}

wire_enum! {
    /// How sensitive a resource's data is.
    Sensitivity("sensitivity") {
        /// Public.
        Public = "public", "Public";
        /// Internal.
        Internal = "internal", "Internal";
        /// Confidential.
        Confidential = "confidential", "Confidential";
        /// Restricted: the crown jewels.
        Restricted = "restricted", "Restricted";
    }
}

wire_enum! {
    /// What a credential may do on a resource.
    Permission("permission") {
        /// Read.
        Read = "read", "Read";
        /// Write.
        Write = "write", "Write";
        /// Administer.
        Admin = "admin", "Admin";
    }
}

wire_enum! {
    /// Whether a person is still with the company.
    PersonStatus("person status") {
        /// Still here.
        Active = "active", "Active";
        /// Has left.
        Departed = "departed", "Departed";
    }
}

wire_enum! {
    /// Whether an action succeeded.
    Outcome("outcome") {
        /// It succeeded.
        Success = "success", "Success";
        /// It was refused or failed.
        Failure = "failure", "Failure";
    }
}

wire_enum! {
    /// The kinds of node in the lineage graph.
    NodeKind("node kind") {
        /// A team.
        Team = "team", "Team";
        /// A person (an owner).
        Person = "person", "Person";
        /// An agent.
        Agent = "agent", "Agent";
        /// A tool an agent uses.
        Tool = "tool", "Tool";
        /// A credential.
        Credential = "credential", "Credential";
        /// A stored copy of a credential's secret.
        Copy = "copy", "Stored copy";
        /// A resource.
        Resource = "resource", "Resource";
    }
}

wire_enum! {
    /// What a signed-in account may do. An account may hold several roles.
    Role("role") {
        /// Manage accounts and settings.
        Admin = "admin", "Admin";
        /// Read everything, export.
        Ciso = "ciso", "CISO";
        /// Read, and manage ownership for their teams.
        Manager = "manager", "Manager";
        /// Decide approval requests.
        Approver = "approver", "Approver";
        /// Read only.
        Viewer = "viewer", "Viewer";
    }
}

wire_enum! {
    /// Who may sign in with a local password (`muster serve --local-passwords`).
    PasswordSignIn("password_sign_in") {
        /// Every account that has a password.
        All = "all", "Every account";
        /// Accounts with the `admin` role only: break-glass access when the
        /// identity provider is down.
        Admins = "admins", "Admins only";
        /// Nobody: everyone signs in with the identity provider.
        Off = "off", "Nobody";
    }
}

impl Default for PasswordSignIn {
    /// Without an identity provider, passwords are the only way in.
    fn default() -> Self {
        Self::All
    }
}

wire_enum! {
    /// A risk score's band (thresholds in `docs/risk-model.md`).
    RiskBand("risk band") {
        /// 0–24.
        Low = "low", "Low";
        /// 25–49.
        Medium = "medium", "Medium";
        /// 50–74.
        High = "high", "High";
        /// 75–100.
        Critical = "critical", "Critical";
    }
}

impl RiskBand {
    /// The band of a score from 0 to 100.
    pub fn of(score: i64) -> RiskBand {
        match score {
            75.. => RiskBand::Critical,
            50..=74 => RiskBand::High,
            25..=49 => RiskBand::Medium,
            _ => RiskBand::Low,
        }
    }

    /// The lowest and highest score in the band.
    pub fn range(self) -> (i64, i64) {
        match self {
            RiskBand::Low => (0, 24),
            RiskBand::Medium => (25, 49),
            RiskBand::High => (50, 74),
            RiskBand::Critical => (75, 100),
        }
    }
}

wire_enum! {
    /// What can have an owner.
    OwnedKind("owned kind") {
        /// An agent.
        Agent = "agent", "Agent";
        /// A credential.
        Credential = "credential", "Credential";
    }
}

wire_enum! {
    /// Why an agent or credential lacks an accountable owner.
    GapState("gap state") {
        /// It never had an owner.
        Unowned = "unowned", "Unowned";
        /// Its owner has left the organisation.
        Orphaned = "orphaned", "Orphaned";
    }
}

wire_enum! {
    /// Where a revocation stands. It moves `requested` → `disabled` →
    /// `revoked` → `complete`, or to `failed`.
    RevocationState("revocation state") {
        /// Asked for; the credential still works.
        Requested = "requested", "Requested";
        /// Switched off upstream: consumers fail, but it could be switched on again.
        Disabled = "disabled", "Disabled";
        /// Revoked upstream for good; copies of the secret may still be listed.
        Revoked = "revoked", "Revoked";
        /// Revoked, and every copy on the checklist removed or accepted.
        Complete = "complete", "Complete";
        /// The upstream revocation failed; it can be asked for again.
        Failed = "failed", "Failed";
    }
}

impl RevocationState {
    /// The states an operator (or the automation) may move a revocation in
    /// this state to. `complete` is never chosen: it follows when the last
    /// copy is resolved.
    pub fn next(self) -> &'static [RevocationState] {
        use RevocationState::*;
        match self {
            Requested => &[Disabled, Revoked, Failed],
            Disabled => &[Revoked, Failed],
            Failed => &[Requested, Disabled, Revoked],
            Revoked | Complete => &[],
        }
    }

    /// Whether the revocation still needs someone to act.
    pub fn is_open(self) -> bool {
        self != RevocationState::Complete
    }
}

wire_enum! {
    /// Where one copy on a revocation's checklist stands.
    ChecklistState("checklist state") {
        /// Still to be removed.
        Pending = "pending", "Pending";
        /// Removed from where it was stored.
        Removed = "removed", "Removed";
        /// Cannot be removed (a vendor's archive, say); accepted with a reason.
        Accepted = "accepted", "Accepted";
    }
}

wire_enum! {
    /// Where one webhook delivery stands.
    DeliveryState("delivery state") {
        /// Not yet accepted by the receiver; retried with back-off.
        Pending = "pending", "Pending";
        /// The receiver answered 2xx.
        Delivered = "delivered", "Delivered";
        /// Every attempt failed; no more will be made.
        Failed = "failed", "Failed";
    }
}

wire_enum! {
    /// Where an approval request stands.
    ApprovalState("approval state") {
        /// Waiting for approvers.
        Pending = "pending", "Pending";
        /// Approved: the agent holds a signed decision.
        Approved = "approved", "Approved";
        /// Denied, by a person or by the policy.
        Denied = "denied", "Denied";
        /// Not decided before its expiry.
        Expired = "expired", "Expired";
    }
}

wire_enum! {
    /// What kind of thing an approval request asks for.
    ApprovalKind("approval kind") {
        /// An operation the agent wants to perform (`s3:DeleteBucket`, ...).
        Operation = "operation", "Operation";
        /// A change to the agent's capabilities: a new tool, credential or scope.
        Change = "change", "Change";
    }
}

wire_enum! {
    /// What an approval rule decides.
    RuleDecision("rule decision") {
        /// Approved at once, by the policy.
        AutoApprove = "auto_approve", "Approve automatically";
        /// Denied at once, by the policy.
        AutoDeny = "auto_deny", "Deny automatically";
        /// Approvals from people with a role are required.
        Require = "require", "Require approval";
    }
}

wire_enum! {
    /// One person's decision on an approval request.
    Verdict("verdict") {
        /// Approve it.
        Approve = "approve", "Approve";
        /// Deny it.
        Deny = "deny", "Deny";
    }
}

wire_enum! {
    /// A kind of report Muster imports.
    ImportKind("import kind") {
        /// A gitleaks JSON report (an array of findings).
        Gitleaks = "gitleaks", "gitleaks";
        /// trufflehog's JSON lines (`--json`).
        Trufflehog = "trufflehog", "trufflehog";
        /// CloudTrail log files (`{"Records":[...]}`, plain or gzip).
        Cloudtrail = "cloudtrail", "CloudTrail";
        /// `aws iam get-account-authorization-details` (JSON).
        AwsIam = "aws_iam", "AWS IAM authorization details";
        /// `aws iam get-credential-report` (CSV).
        AwsCredentialReport = "aws_credential_report", "AWS IAM credential report";
        /// Muster's inventory file (YAML or JSON): agents, tools, owners, credentials a team declares.
        Inventory = "inventory", "Inventory file";
        /// An endpoint scan report (`muster scan`): a laptop's coding agents, MCP servers and secrets.
        Endpoint = "endpoint", "Endpoint scan";
        /// Google Workspace: the Reports API's token activities and the Directory API's tokens.list.
        GoogleWorkspace = "google_workspace", "Google Workspace OAuth grants";
        /// Microsoft Entra (Graph): service principals, permission grants, app role assignments, users, agent identities.
        Entra = "entra", "Microsoft Entra apps and grants";
        /// Okta: apps, users and users' grants.
        Okta = "okta", "Okta apps and grants";
        /// GitHub: an organisation's tokens, credential authorisations, app installations and audit log.
        Github = "github", "GitHub tokens, apps and audit log";
        /// Amazon Bedrock: agents, action groups and AgentCore runtimes.
        Bedrock = "bedrock", "Amazon Bedrock agents";
        /// Vertex AI Agent Engine: reasoning engines.
        Vertex = "vertex", "Vertex AI agents";
    }
}

wire_enum! {
    /// What a credential's behaviour baseline records.
    BaselineDimension("baseline dimension") {
        /// The actions it calls (`s3:GetObject`).
        Action = "action", "Actions";
        /// The resources it acts on.
        Resource = "resource", "Resources";
        /// The networks it calls from (an IPv4 /24, an IPv6 /48, or an AWS service).
        Network = "network", "Source networks";
        /// The clients it calls with.
        UserAgent = "user_agent", "User agents";
    }
}

wire_enum! {
    /// What is unusual in a credential's activity.
    BehaviourFindingKind("behaviour finding kind") {
        /// It acted on a resource outside its baseline.
        NewResource = "new_resource", "New resource";
        /// It was used from a network outside its baseline.
        NewNetwork = "new_network", "New source network";
        /// An hour's calls far above its usual rate.
        RateSpike = "rate_spike", "Rate spike";
        /// A person used it: a console sign-in or a browser's user agent.
        HumanUse = "human_use", "Human use";
        /// It was used from a laptop against production.
        EndpointAgainstProd = "endpoint_against_prod", "Laptop against production";
    }
}

wire_enum! {
    /// How a platform's grant was consented to.
    Consent("consent") {
        /// One person consented for themselves.
        User = "user", "By the user, for themselves";
        /// One person (an admin) consented for the whole tenant.
        Tenant = "tenant", "For the whole organisation";
        /// An administrator granted it to an application (application permissions, an installation).
        Admin = "admin", "Granted by an administrator";
        /// The person owns the token they made.
        Owner = "owner", "The owner's own token";
    }
}

wire_enum! {
    /// How sure a match with the catalogue of AI applications is.
    AppMatch("app match") {
        /// The platform's client id, app id or app slug is the catalogue's.
        Exact = "exact", "By its client id";
        /// The application's verified publisher is the vendor.
        Publisher = "publisher", "By its verified publisher";
        /// The application's name is the catalogue's (anyone can name an app so).
        Name = "name", "By its name only";
        /// An admin made it an agent.
        Promoted = "promoted", "Made an agent by an admin";
    }
}

mod audit_target;
pub use audit_target::{AuditTarget, TargetKind};

#[cfg(test)]
mod tests;
