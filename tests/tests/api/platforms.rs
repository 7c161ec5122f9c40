//! SaaS and cloud discovery through the import API: each platform's own
//! pages (fixtures in `tests/fixtures/platforms`, in the vendors' shapes)
//! become credentials with their scopes and reach, grants to AI
//! applications become SaaS agents owned by whoever consented, cloud agents
//! act through the role the IAM import knows; GitHub's audit log joins the
//! tokens (and a scanner's copy, by GitHub's own hash of the token); full
//! imports revoke what is gone; bad pages are refused whole.

use model::api::{self as json, Role};
use muster_tests::{Backend, TestApp, fixture, fixtures_under, on_every_backend, spawn_app};
use serde_json::{Value, json};

async fn admin(app: &TestApp) -> reqwest::Client {
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await
}

/// Imports every page of `tests/fixtures/platforms/<kind>` in one upload.
async fn import_platform(app: &TestApp, admin: &reqwest::Client, kind: &str) -> json::ImportSummary {
    import_pages(app, admin, kind, "", fixtures_under(&format!("platforms/{kind}"))).await
}

async fn import_pages(
    app: &TestApp,
    admin: &reqwest::Client,
    kind: &str,
    query: &str,
    pages: Vec<(String, Vec<u8>)>,
) -> json::ImportSummary {
    let (status, body) = app.import_files(admin, &format!("{kind}{query}"), pages).await;
    assert_eq!(status, 200, "{kind}: {body}");
    serde_json::from_value(body).unwrap()
}

async fn id_of(app: &TestApp, table: &str, name: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE name = $1"))
        .bind(name)
        .fetch_one(app.db.pool())
        .await
        .unwrap_or_else(|e| panic!("no {table} named {name:?}: {e}"))
}

async fn agent(app: &TestApp, admin: &reqwest::Client, name: &str) -> json::AgentDetail {
    let id = id_of(app, "agent", name).await;
    app.get_json_as(admin, &format!("/api/v1/agents/{id}")).await
}

async fn credential(app: &TestApp, admin: &reqwest::Client, name: &str) -> json::CredentialDetail {
    let id = id_of(app, "credential", name).await;
    app.get_json_as(admin, &format!("/api/v1/credentials/{id}")).await
}

fn factors(risk: &json::Risk) -> Vec<String> {
    risk.factors.iter().map(|f| f.code.clone()).collect()
}

fn reach(detail: &json::CredentialDetail) -> Vec<(String, json::Permission)> {
    let mut reach: Vec<_> = detail
        .reach
        .iter()
        .map(|r| (r.resource.name.clone(), r.permission))
        .collect();
    reach.sort();
    reach
}

async fn google_grants_become_credentials_and_ai_apps_saas_agents_owned_by_who_consented(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let summary = import_platform(&app, &admin, "google_workspace").await;
    assert_eq!(
        (summary.kind, summary.grants, summary.agents),
        (json::ImportKind::GoogleWorkspace, 5, 4)
    );
    assert_eq!(summary.events_recorded, 5, "ChatGPT's activity on Alice's grant");

    // Alice consented to ChatGPT: a SaaS agent, deployed and owned by her, acting through the grant.
    let chatgpt = agent(&app, &admin, "ChatGPT in Google Workspace (alice@acme.test)").await;
    assert_eq!(chatgpt.agent.category, json::AgentCategory::Saas);
    assert_eq!(chatgpt.agent.platform, "ChatGPT");
    assert!(
        !chatgpt.agent.sanctioned,
        "found, not declared: shadow until sanctioned"
    );
    let alice = chatgpt
        .agent
        .owner
        .clone()
        .expect("the consenting person owns it");
    assert_eq!(chatgpt.deployed_by.as_ref(), Some(&alice));
    let facts = chatgpt.platform.clone().expect("what the platform said");
    assert_eq!(facts.app.as_deref(), Some("ChatGPT"));
    assert_eq!(facts.vendor.as_deref(), Some("OpenAI"));
    assert_eq!(facts.matched, Some(json::AppMatch::Name));
    assert_eq!(facts.consent, Some(json::Consent::User));
    assert_eq!(facts.consenting_person, Some(alice.clone()));
    let [grant] = &chatgpt.credentials[..] else {
        panic!("one grant: {:?}", chatgpt.credentials)
    };
    assert_eq!(grant.kind, json::CredentialKind::OauthGrant);

    // The grant: its scopes, what they reach, why it is risky.
    let grant: json::CredentialDetail = app
        .get_json_as(&admin, &format!("/api/v1/credentials/{}", grant.id))
        .await;
    assert!(
        grant
            .scopes
            .contains(&"https://www.googleapis.com/auth/gmail.readonly".to_owned())
    );
    assert_eq!(
        reach(&grant),
        [
            ("Gmail".to_owned(), json::Permission::Read),
            ("Google Drive".to_owned(), json::Permission::Write)
        ]
    );
    assert!(
        factors(&grant.risk).contains(&"broad_scope".to_owned()),
        "{:?}",
        grant.risk
    );
    assert!(factors(&grant.risk).contains(&"third_party_grant".to_owned()));
    assert_eq!(grant.recent_activity.len(), 5);
    let facts = grant.grant.clone().expect("the grant's platform facts");
    assert_eq!(
        (facts.platform, facts.present),
        (json::ImportKind::GoogleWorkspace, true)
    );
    assert_eq!(facts.agent.map(|a| a.id), Some(chatgpt.agent.id));
    // The agent inherits its grant's risk.
    assert!(factors(&chatgpt.risk).contains(&"riskiest_credential".to_owned()));

    // An app not in the catalogue is still a credential (NHI3), not hidden, not an agent.
    let expenses = credential(&app, &admin, "Expense Helper for alice@acme.test").await;
    assert_eq!(expenses.third_party.as_deref(), Some("Expense Helper"));
    assert!(expenses.agents.is_empty() && expenses.reach.is_empty());
    // Dan revoked Notion: the grant says so.
    let notion = credential(&app, &admin, "Notion for dan@acme.test").await;
    assert_eq!(notion.credential.status, json::CredentialStatus::Revoked);

    // The same pages again change nothing.
    let again = import_platform(&app, &admin, "google_workspace").await;
    assert_eq!(
        (
            again.credentials_created,
            again.credentials_updated,
            again.agents_created,
            again.events_recorded
        ),
        (0, 0, 0, 0)
    );
}

/// An old `authorize` event read after the listing that no longer names the
/// grant does not bring it back; a page that names no user is refused; a
/// look-alike app sharing a catalogued name is another agent.
async fn events_older_than_a_listing_change_only_the_last_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let mut page: Value =
        serde_json::from_slice(&fixture("platforms/google_workspace/tokens/alice@acme.test.json")).unwrap();
    page["items"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["displayText"] != "ChatGPT");
    let alice = (
        "tokens/alice@acme.test.json".to_owned(),
        serde_json::to_vec(&page).unwrap(),
    );
    import_pages(
        &app,
        &admin,
        "google_workspace",
        "",
        fixtures_under("platforms/google_workspace"),
    )
    .await;
    import_pages(&app, &admin, "google_workspace", "", vec![alice.clone()]).await;
    let chatgpt = credential(&app, &admin, "ChatGPT for alice@acme.test").await;
    assert_eq!(chatgpt.credential.status, json::CredentialStatus::Revoked);
    // The activities (an authorisation of 2 November, uses since) again, alone.
    let activities: Vec<_> = fixtures_under("platforms/google_workspace")
        .into_iter()
        .filter(|(name, _)| name.starts_with("activities"))
        .collect();
    let summary = import_pages(&app, &admin, "google_workspace", "?full=false", activities).await;
    assert_eq!(summary.credentials_updated, 0, "{summary:?}");
    let chatgpt = credential(&app, &admin, "ChatGPT for alice@acme.test").await;
    assert_eq!(chatgpt.credential.status, json::CredentialStatus::Revoked);
    assert!(chatgpt.reach.is_empty());
    // The next full listing of Alice changes nothing: the events did not count as listing it.
    let again = import_pages(&app, &admin, "google_workspace", "", vec![alice]).await;
    assert_eq!(again.credentials_updated, 0);

    // A look-alike: another client id, the same name. Its own agent, never the real one's.
    let mut fake: Value =
        serde_json::from_slice(&fixture("platforms/google_workspace/tokens/bob@acme.test.json")).unwrap();
    fake["items"][0]["clientId"] = json!("123-lookalike.apps.googleusercontent.com");
    fake["items"][0]["displayText"] = json!("ChatGPT");
    let bob = vec![(
        "tokens/bob@acme.test.json".to_owned(),
        serde_json::to_vec(&fake).unwrap(),
    )];
    import_pages(&app, &admin, "google_workspace", "?full=false", bob).await;
    let agents = app
        .count("SELECT COUNT(*) FROM agent WHERE platform = 'ChatGPT'")
        .await;
    assert_eq!(agents, 2, "Alice's ChatGPT and Bob's look-alike");

    // An empty page that names no user, in a file not named after one.
    let empty = vec![(
        "tokens.json".to_owned(),
        br#"{"kind":"admin#directory#tokenList"}"#.to_vec(),
    )];
    let (status, body) = app.import_files(&admin, "google_workspace", empty).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("names no user")
    );
}

async fn a_full_import_revokes_what_is_no_longer_listed_for_the_users_it_covers(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let tokens = fixtures_under("platforms/google_workspace/tokens");
    import_pages(&app, &admin, "google_workspace", "", tokens.clone()).await;
    // Alice has since revoked ChatGPT: her page lists Expense Helper only.
    let mut page: Value =
        serde_json::from_slice(&fixture("platforms/google_workspace/tokens/alice@acme.test.json")).unwrap();
    page["items"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["displayText"] != "ChatGPT");
    let alice_only = vec![(
        "alice@acme.test.json".to_owned(),
        serde_json::to_vec(&page).unwrap(),
    )];

    let partial = import_pages(
        &app,
        &admin,
        "google_workspace",
        "?full=false",
        alice_only.clone(),
    )
    .await;
    assert_eq!(partial.grants_revoked, 0, "a partial import revokes nothing");
    let full = import_pages(&app, &admin, "google_workspace", "", alice_only).await;
    assert_eq!(full.grants_revoked, 1);
    let chatgpt = credential(&app, &admin, "ChatGPT for alice@acme.test").await;
    assert_eq!(chatgpt.credential.status, json::CredentialStatus::Revoked);
    assert!(!chatgpt.grant.unwrap().present);
    assert!(
        chatgpt.reach.is_empty(),
        "revoked at the source, it opens nothing"
    );
    // Bob's page was not in the import: his grant stands.
    let claude = credential(&app, &admin, "Claude for bob@acme.test").await;
    assert_eq!(claude.credential.status, json::CredentialStatus::Active);
    // Listed again: active again.
    import_pages(&app, &admin, "google_workspace", "", tokens).await;
    let chatgpt = credential(&app, &admin, "ChatGPT for alice@acme.test").await;
    assert_eq!(chatgpt.credential.status, json::CredentialStatus::Active);
}

async fn entra_grants_join_their_apps_and_users_across_pages_and_no_secret_text_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let summary = import_platform(&app, &admin, "entra").await;
    assert!(summary.notes.is_empty(), "{:?}", summary.notes);

    // Alice consented to ChatGPT for herself; the verified publisher says it is OpenAI's.
    let chatgpt = agent(&app, &admin, "ChatGPT in Microsoft Entra (Alice Ng)").await;
    let facts = chatgpt.platform.clone().unwrap();
    assert_eq!(facts.matched, Some(json::AppMatch::Publisher));
    assert_eq!(
        chatgpt.agent.owner.as_ref().map(|o| o.name.as_str()),
        Some("Alice Ng")
    );
    let grant = credential(&app, &admin, "ChatGPT on Microsoft Graph").await;
    assert_eq!(
        reach(&grant),
        [
            ("Exchange Online mail".to_owned(), json::Permission::Write),
            ("OneDrive and SharePoint files".to_owned(), json::Permission::Read)
        ]
    );
    assert!(
        grant.scopes.contains(&"Mail.ReadWrite".to_owned()),
        "the leading space is no scope"
    );
    assert!(!grant.scopes.iter().any(String::is_empty));

    // Claude was consented for everyone: flagged, and the agent is the organisation's.
    let claude = credential(
        &app,
        &admin,
        "Claude on Microsoft Graph for the whole organisation",
    )
    .await;
    assert!(
        factors(&claude.risk).contains(&"tenant_wide_consent".to_owned()),
        "{:?}",
        claude.risk
    );
    assert!(factors(&claude.risk).contains(&"broad_scope".to_owned()));
    let org = agent(&app, &admin, "Claude in Microsoft Entra (whole organisation)").await;
    assert_eq!(org.platform.unwrap().consent, Some(json::Consent::Tenant));

    // Application permissions name their roles by id; the resource's app roles spell them out.
    let reports = credential(
        &app,
        &admin,
        "Contoso Reports application permissions on Microsoft Graph",
    )
    .await;
    assert_eq!(reports.scopes, ["Files.ReadWrite.All"]);
    // The app's own secrets: their end dates, never their text.
    let secret = credential(&app, &admin, "Contoso Reports client secret prod secret").await;
    assert_eq!(secret.credential.kind, json::CredentialKind::ApiKey);
    assert_eq!(
        secret.credential.expires_at.unwrap().to_rfc3339(),
        "2027-03-01T00:00:00+00:00"
    );

    // The agent identity is a cloud agent, sponsored by Dan, acting through its app role.
    let triage = agent(&app, &admin, "Invoice Triage Agent").await;
    assert_eq!(triage.agent.category, json::AgentCategory::Cloud);
    assert_eq!(triage.agent.platform, "Entra Agent ID");
    assert_eq!(
        triage.agent.owner.as_ref().map(|o| o.name.as_str()),
        Some("Dan Wu")
    );
    assert!(
        triage
            .credentials
            .iter()
            .any(|c| c.name == "Invoice Triage Agent application permissions on Microsoft Graph")
    );

    // Graph can answer a secret's text: it is never read, so never kept.
    let stored = String::from_utf8_lossy(&app.database_bytes()).into_owned();
    assert!(!stored.contains("FIXTURE-ENTRA-SECRET-DO-NOT-STORE"));
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT name || ' ' || external_id || ' ' || scopes FROM credential UNION ALL SELECT details FROM audit_event",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert!(!texts.iter().any(|t| t.contains("FIXTURE-ENTRA-SECRET")));
}

async fn okta_grants_by_user_and_client_and_service_apps_become_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let summary = import_platform(&app, &admin, "okta").await;
    assert_eq!(summary.grants, 3);
    let alice = credential(&app, &admin, "ChatGPT Enterprise for alice@acme.test").await;
    assert_eq!(alice.scopes, ["email", "okta.users.read"]);
    assert_eq!(
        alice.credential.owner.as_ref().map(|o| o.name.as_str()),
        Some("Alice Ng")
    );
    // Bob's revoked grant adds no scope; the active one was an admin's doing.
    let bob = credential(&app, &admin, "ChatGPT Enterprise for bob@acme.test").await;
    assert_eq!(bob.scopes, ["okta.apps.manage"]);
    assert_eq!(bob.grant.as_ref().unwrap().consent, json::Consent::Admin);
    assert_eq!(
        reach(&bob),
        [("Okta organisation".to_owned(), json::Permission::Admin)]
    );
    // The service app signs in as itself, with a key: a credential of its own.
    let bot = credential(
        &app,
        &admin,
        "nightly-sync-bot client credentials (private_key_jwt)",
    )
    .await;
    assert_eq!(bot.credential.kind, json::CredentialKind::Certificate);
    assert!(bot.credential.owner.is_none());
    let agent = agent(&app, &admin, "ChatGPT in Okta (Bob Ray)").await;
    assert_eq!(agent.platform.unwrap().matched, Some(json::AppMatch::Name));
}

/// A gitleaks report holding Alice's fine-grained token (the fixture's, in
/// `tests/fixtures/platforms/github/README.md`), found in a repository.
fn gitleaks_with_alice_token() -> Vec<u8> {
    serde_json::to_vec(&json!([{
        "Description": "GitHub Fine-Grained Personal Access Token",
        "StartLine": 3, "EndLine": 3, "StartColumn": 1, "EndColumn": 93,
        "Match": "GITHUB_TOKEN=github_pat_…",
        "Secret": ALICE_TOKEN,
        "File": ".env", "SymlinkFile": "", "Commit": "a1b2c3d4e5f6a7b8",
        "Entropy": 5.2, "Author": "Alice", "Email": "alice@acme.test",
        "Date": "2026-11-01T10:00:00Z", "Message": "wip", "Tags": [],
        "RuleID": "github-fine-grained-pat", "Fingerprint": "a1b2c3d4e5f6a7b8:.env:github-fine-grained-pat:3"
    }]))
    .unwrap()
}

const ALICE_TOKEN: &str =
    "github_pat_11FIXTUREALICE0000000000_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV";

async fn github_audit_events_join_their_tokens_and_a_scanned_copy_joins_by_hashed_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    // A scanner found Alice's token first: a credential known by GitHub's hash of it.
    let (status, body) = app
        .import(&admin, "gitleaks?source=acme/app", gitleaks_with_alice_token())
        .await;
    assert_eq!(status, 200, "{body}");
    let scanned: i64 = sqlx::query_scalar("SELECT id FROM credential WHERE provider = 'github'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();

    let summary = import_platform(&app, &admin, "github").await;
    assert_eq!(
        summary.events_recorded, 10,
        "Alice's 8 and Carol's 2; the browser event is a person's"
    );
    assert_eq!(summary.events_unmatched, 0);
    // The audit log named the token by id and hash: the scanned copy is that token's.
    let token = credential(
        &app,
        &admin,
        "claude-code on laptop (alice-ng fine-grained token)",
    )
    .await;
    assert_eq!(
        token.credential.id, scanned,
        "one credential for the token and its copy"
    );
    assert_eq!(token.credential.copies, 1);
    assert_eq!(
        token.credential.owner.as_ref().map(|o| o.name.as_str()),
        Some("alice@acme.test")
    );
    assert_eq!(token.recent_activity.len(), 8);
    let behaviour: json::Behaviour = app
        .get_json_as(&admin, &format!("/api/v1/credentials/{scanned}/behaviour"))
        .await;
    assert!(
        behaviour
            .baseline
            .iter()
            .any(|b| b.dimension == json::BaselineDimension::Action && b.value == "git.push")
    );
    // The token itself is nowhere.
    assert!(!String::from_utf8_lossy(&app.database_bytes()).contains(ALICE_TOKEN));

    // Carol's classic token: broad scopes, her login named by the SAML identities.
    let carol = credential(
        &app,
        &admin,
        "copilot-agent (carol-diaz's classic token, ending …71c3fc11)",
    )
    .await;
    assert_eq!(carol.recent_activity.len(), 2);
    assert!(factors(&carol.risk).contains(&"broad_scope".to_owned()));
    assert!(factors(&carol.risk).contains(&"admin_or_wildcard".to_owned()));
    assert_eq!(
        carol.credential.owner.as_ref().map(|o| o.name.as_str()),
        Some("carol@acme.test")
    );

    // App installations: Claude's is an agent (by its app slug), Renovate's a credential only.
    let claude = agent(&app, &admin, "Claude in GitHub (whole organisation)").await;
    assert_eq!(claude.platform.unwrap().matched, Some(json::AppMatch::Exact));
    let renovate = credential(&app, &admin, "GitHub app renovate installed on acme").await;
    assert!(renovate.agents.is_empty());
    assert!(reach(&renovate).contains(&("GitHub repositories (acme)".to_owned(), json::Permission::Write)));
}

/// A `muster scan` report of a laptop holding Alice's token in a file: only
/// GitHub's hash of it leaves the laptop.
fn scan_report(provider_hash: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": "muster-endpoint-scan", "version": 1, "scanned_at": "2026-12-01T09:00:00Z",
        "scanner": "muster-scan 0.1.0", "full": true,
        "host": {"name": "laptop-alice", "os": "macos", "user": "alice", "git_email": "alice@acme.test"},
        "agents": [], "references": [], "skipped": [],
        "secrets": [{"kind": "personal_access_token", "provider": "github", "hint": "github_pat_…(93)",
                     "provider_hash": provider_hash,
                     "places": [{"kind": "env_file", "locator": "~/src/app/.env:3"}]}]
    }))
    .unwrap()
}

async fn a_laptops_copy_of_a_github_token_joins_its_audit_events_by_hashed_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let hash = muster_scan::secrets::provider_hash(ALICE_TOKEN).expect("a GitHub token");
    for bad in ["not base64!", "c2hvcnQ=", &hash[..40]] {
        let (status, body) = app.import(&admin, "endpoint", scan_report(bad)).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body.to_string().contains("provider_hash"), "{body}");
    }
    let (status, body) = app.import(&admin, "endpoint", scan_report(&hash)).await;
    assert_eq!(status, 200, "{body}");
    import_platform(&app, &admin, "github").await;
    let token = credential(
        &app,
        &admin,
        "claude-code on laptop (alice-ng fine-grained token)",
    )
    .await;
    assert_eq!(token.credential.copies, 1, "the laptop's copy is the token's");
    assert_eq!(token.copies[0].locator, "laptop-alice:~/src/app/.env:3");
    assert_eq!(token.recent_activity.len(), 8);
}

/// IAM authorization details with the Bedrock agent's role, allowed to read a bucket.
fn iam_with_bedrock_role() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{
            "Path": "/service-role/",
            "RoleName": "AmazonBedrockExecutionRoleForAgents_invoice",
            "RoleId": "AROAFIXTUREBEDROCK01",
            "Arn": "arn:aws:iam::111122223333:role/service-role/AmazonBedrockExecutionRoleForAgents_invoice",
            "CreateDate": "2026-09-01T12:00:00Z",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": "invoices", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::acme-invoices/*"}]}}],
            "AttachedManagedPolicies": [], "Tags": []
        }]
    }))
    .unwrap()
}

async fn cloud_agents_act_through_the_role_the_iam_import_knows_in_either_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let inventory = b"version: 1\nresources:\n  - name: acme-invoices\n    provider: aws\n    kind: bucket\n    environment: prod\n    sensitivity: restricted\n";
    let (status, body) = app.import(&admin, "inventory", inventory.to_vec()).await;
    assert_eq!(status, 200, "{body}");
    // The agent first: its role is made, and the IAM import fills in its reach.
    let summary = import_platform(&app, &admin, "bedrock").await;
    assert_eq!((summary.agents, summary.agents_created), (2, 2));
    let (status, body) = app.import(&admin, "aws_iam", iam_with_bedrock_role()).await;
    assert_eq!(status, 200, "{body}");
    let invoice = agent(&app, &admin, "invoice-assistant").await;
    assert_eq!(
        (invoice.agent.category, invoice.agent.platform.as_str()),
        (json::AgentCategory::Cloud, "Amazon Bedrock")
    );
    let [role] = &invoice.credentials[..] else {
        panic!("{:?}", invoice.credentials)
    };
    assert_eq!(
        role.external_id,
        "arn:aws:iam::111122223333:role/service-role/AmazonBedrockExecutionRoleForAgents_invoice"
    );
    let role: json::CredentialDetail = app
        .get_json_as(&admin, &format!("/api/v1/credentials/{}", role.id))
        .await;
    assert_eq!(
        reach(&role),
        [("acme-invoices".to_owned(), json::Permission::Read)]
    );
    let iam_roles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM credential WHERE external_id LIKE '%AmazonBedrockExecutionRoleForAgents_invoice'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        iam_roles, 1,
        "one credential for the role, whichever import came first"
    );
    // Its action group is a tool; the agent's risk follows its role's reach.
    let tools: Vec<String> = invoice.tools.iter().map(|t| t.name.clone()).collect();
    assert!(tools.iter().any(|t| t.starts_with("lookup-orders")), "{tools:?}");
    let invoice = agent(&app, &admin, "invoice-assistant").await;
    assert!(invoice.risk.score > 0);

    // Vertex: the engine's service account, or the project's default one.
    import_platform(&app, &admin, "vertex").await;
    let research = agent(&app, &admin, "research-agent").await;
    assert_eq!(research.agent.environment, json::Environment::Dev);
    assert_eq!(
        research.credentials[0].external_id,
        "research@acme-dev.iam.gserviceaccount.com"
    );
    let faq = agent(&app, &admin, "faq-bot").await;
    assert_eq!(
        faq.credentials[0].external_id,
        "service-123456789012@gcp-sa-aiplatform-re.iam.gserviceaccount.com"
    );
}

async fn bad_pages_are_refused_naming_the_file_and_record_and_nothing_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    for (kind, file, expected) in [
        ("google_workspace", "wrong-kind.json", "a page of the wrong kind"),
        (
            "google_workspace",
            "activity-bad-time.json",
            "is not an RFC 3339 time",
        ),
        (
            "entra",
            "missing-value.json",
            "has a `value` list, and this one has none",
        ),
        ("entra", "wrong-kind.json", "a page of the wrong kind"),
        ("okta", "ints-as-strings.json", "grants[1]"),
        ("github", "timestamp-as-string.json", "audit-log[2]"),
        ("bedrock", "not-an-agent.json", "not a Bedrock agent"),
        ("vertex", "wrong-kind.json", "a page of the wrong kind"),
    ] {
        // With a good page beside it: nothing of either is kept.
        let mut pages = fixtures_under(&format!("platforms/{kind}"));
        pages.push((file.to_owned(), fixture(&format!("platforms-bad/{kind}/{file}"))));
        let (status, body) = app.import_files(&admin, kind, pages).await;
        assert_eq!(status, 422, "{kind} {file}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(file) && message.contains(expected),
            "{kind} {file}: {message}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM credential").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM agent").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM import_run").await, 0);
    // Not JSON, or not a page at all.
    let (status, body) = app.import(&admin, "entra", b"<html>".to_vec()).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.import_files(&admin, "okta", vec![]).await;
    assert_eq!(status, 400, "{body}");
}

async fn sanction_rules_and_admins_marks_apply_to_saas_and_cloud_agents(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    import_platform(&app, &admin, "google_workspace").await;
    import_platform(&app, &admin, "entra").await;
    import_platform(&app, &admin, "bedrock").await;
    for value in ["chatgpt", "bedrock"] {
        let response = admin
            .post(app.url("/api/v1/sanction-rules"))
            .json(&json!({"kind": "client", "value": value}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    // OpenAI's verified app is sanctioned; an app only named "ChatGPT" is not (anyone can name one so).
    assert!(
        agent(&app, &admin, "ChatGPT in Microsoft Entra (Alice Ng)")
            .await
            .agent
            .sanctioned
    );
    let named = agent(&app, &admin, "ChatGPT in Google Workspace (alice@acme.test)").await;
    assert!(!named.agent.sanctioned);
    assert_eq!(named.platform.unwrap().matched, Some(json::AppMatch::Name));
    assert!(agent(&app, &admin, "invoice-assistant").await.agent.sanctioned);
    let claude = agent(&app, &admin, "Claude in Google Workspace (bob@acme.test)").await;
    assert!(!claude.agent.sanctioned);
    assert!(factors(&claude.risk).contains(&"shadow_agent".to_owned()));
    // An admin's word stands over the list, and the next import keeps it.
    let response = admin
        .put(app.url(&format!("/api/v1/agents/{}/sanctioned", claude.agent.id)))
        .json(&json!({"sanctioned": true, "reason": "approved for the research team"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    import_platform(&app, &admin, "google_workspace").await;
    let claude = agent(&app, &admin, "Claude in Google Workspace (bob@acme.test)").await;
    assert!(claude.agent.sanctioned);
    assert_eq!(claude.platform.unwrap().marked, Some(true));
}

async fn admins_add_catalogue_entries_and_promote_grants_others_may_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    let viewer = app.signed_in_as("viewer@muster.test", &[Role::Viewer]).await;
    let entry = json!({"name": "Expense Helper AI", "vendor": "Expensify-ish",
        "client_ids": ["555000333444-expenses.apps.googleusercontent.com"]});
    let refused = viewer
        .post(app.url("/api/v1/ai-apps"))
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let added = admin
        .post(app.url("/api/v1/ai-apps"))
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let added: json::AiApp = added.json().await.unwrap();
    for bad in [
        json!({"name": "", "vendor": "x", "names": ["x"]}),
        json!({"name": "x", "vendor": "x"}),
        json!({"name": "x", "vendor": "x", "names": ["a\u{0}b"]}),
        json!({"name": "x", "vendor": "x", "extra": 1}),
    ] {
        let response = admin
            .post(app.url("/api/v1/ai-apps"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    let builtin = admin
        .delete(app.url("/api/v1/ai-apps/chatgpt"))
        .send()
        .await
        .unwrap();
    assert_eq!(builtin.status(), 409);
    let apps: Vec<json::AiApp> = app.get_json_as(&admin, "/api/v1/ai-apps").await;
    assert_eq!(apps[0].key, added.key);
    assert!(apps.iter().any(|a| a.key == "claude" && a.builtin));

    // The entry's client id: an exact match, so the grant is an agent.
    import_platform(&app, &admin, "google_workspace").await;
    let expenses = agent(
        &app,
        &admin,
        "Expense Helper AI in Google Workspace (alice@acme.test)",
    )
    .await;
    assert_eq!(expenses.platform.unwrap().matched, Some(json::AppMatch::Exact));

    // Okta's service app matched nothing: an admin promotes it, once.
    import_platform(&app, &admin, "okta").await;
    let bot = id_of(
        &app,
        "credential",
        "nightly-sync-bot client credentials (private_key_jwt)",
    )
    .await;
    let url = app.url(&format!("/api/v1/credentials/{bot}/promote"));
    assert_eq!(viewer.post(&url).send().await.unwrap().status(), 403);
    let promoted = admin.post(&url).send().await.unwrap();
    assert_eq!(promoted.status(), 201);
    let promoted: json::AgentDetail = promoted.json().await.unwrap();
    assert_eq!(promoted.platform.unwrap().matched, Some(json::AppMatch::Promoted));
    assert_eq!(promoted.credentials[0].id, bot);
    assert_eq!(admin.post(&url).send().await.unwrap().status(), 409);
    let declared = app
        .insert(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, fingerprint) \
        VALUES ('plain', 'api_key', 'x', 'y', '2026-01-01T00:00:00Z', 'active', 'f')",
        )
        .await;
    let response = admin
        .post(app.url(&format!("/api/v1/credentials/{declared}/promote")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let audited = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action IN ('ai_app.create', 'credential.promote')")
        .await;
    assert_eq!(audited, 2);
    let deleted = admin
        .delete(app.url(&format!("/api/v1/ai-apps/{}", added.key)))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

async fn a_consenting_person_who_leaves_orphans_their_saas_agent(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = admin(&app).await;
    import_platform(&app, &admin, "entra").await;
    let chatgpt = agent(&app, &admin, "ChatGPT in Microsoft Entra (Alice Ng)").await;
    let alice = chatgpt.agent.owner.unwrap();
    let response = admin
        .post(app.url(&format!("/api/v1/people/{}/depart", alice.id)))
        .json(&json!({"reason": "left the company"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let chatgpt = agent(&app, &admin, "ChatGPT in Microsoft Entra (Alice Ng)").await;
    assert!(
        factors(&chatgpt.risk).contains(&"owner_departed".to_owned()),
        "{:?}",
        chatgpt.risk
    );
}

on_every_backend!(
    google_grants_become_credentials_and_ai_apps_saas_agents_owned_by_who_consented,
    a_full_import_revokes_what_is_no_longer_listed_for_the_users_it_covers,
    entra_grants_join_their_apps_and_users_across_pages_and_no_secret_text_is_kept,
    okta_grants_by_user_and_client_and_service_apps_become_credentials,
    github_audit_events_join_their_tokens_and_a_scanned_copy_joins_by_hashed_token,
    cloud_agents_act_through_the_role_the_iam_import_knows_in_either_order,
    bad_pages_are_refused_naming_the_file_and_record_and_nothing_is_kept,
    sanction_rules_and_admins_marks_apply_to_saas_and_cloud_agents,
    admins_add_catalogue_entries_and_promote_grants_others_may_not,
    a_consenting_person_who_leaves_orphans_their_saas_agent,
    a_laptops_copy_of_a_github_token_joins_its_audit_events_by_hashed_token,
    events_older_than_a_listing_change_only_the_last_use,
);
