//! People from the identity provider over SCIM 2.0: scim2-tester's
//! compliance checks, scim2-cli, and the requests Okta and Microsoft Entra
//! actually send, replayed — down to the leaver workflow that follows a
//! person switched off in the provider.

use model::api::{self as json, GapState, Role};
use muster_server::Settings;
use muster_tests::scim::run;
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app, spawn_app_with_settings};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async fn send(
    app: &TestApp,
    scim: &reqwest::Client,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = app.url(&format!("/scim/v2{path}"));
    let request = match method {
        "GET" => scim.get(url),
        "POST" => scim.post(url),
        "PUT" => scim.put(url),
        "PATCH" => scim.patch(url),
        "DELETE" => scim.delete(url),
        other => panic!("no case for {other}"),
    };
    let request = match body {
        Some(body) => request
            .header("content-type", "application/scim+json")
            .body(body.to_string()),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status != 204 {
        assert_eq!(
            response.headers()["content-type"],
            "application/scim+json",
            "{method} {path}"
        );
    }
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Okta's user, as its provisioning sends it (a password included, which
/// Muster must never keep).
fn okta_user(email: &str, external: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Dana", "familyName": "Ng"},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "displayName": "Dana Ng",
        "locale": "en-US",
        "externalId": external,
        "groups": [],
        "password": "Okta-sent-this-1!",
        "active": true
    })
}

async fn the_scim_service_passes_the_scim2_tester_compliance_checks(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.scim_token("compliance").await;
    let check = concat!(env!("CARGO_MANIFEST_DIR"), "/scim/check.py");

    let (passed, output) = run("python", &[check, &app.url("/scim/v2")], &token).await;

    assert!(passed, "scim2-tester found errors:\n{output}");
    assert!(output.contains("SUCCESS"), "{output}");
}

async fn scim2_cli_creates_queries_and_switches_off_a_person(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.scim_token("scim2-cli").await;
    let url = app.url("/scim/v2");
    let cli = |args: Vec<String>| {
        let token = token.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run("scim2", &args, &token).await
        }
    };

    let (ok, created) = cli(vec![
        "--url".into(),
        url.clone(),
        "create".into(),
        "user".into(),
        "--user-name".into(),
        "erin@example.com".into(),
        "--display-name".into(),
        "Erin".into(),
    ])
    .await;
    assert!(ok, "{created}");
    let person = app
        .count("SELECT id FROM person WHERE email = 'erin@example.com'")
        .await;
    let (ok, found) = cli(vec![
        "--url".into(),
        url.clone(),
        "query".into(),
        "user".into(),
        person.to_string(),
    ])
    .await;
    assert!(ok && found.contains("erin@example.com"), "{found}");
    let (ok, patched) = cli(vec![
        "--url".into(),
        url.clone(),
        "modify".into(),
        "user".into(),
        person.to_string(),
        "replace".into(),
        "active".into(),
        "false".into(),
    ])
    .await;
    assert!(ok, "{patched}");
    let status: String = sqlx::query_scalar(&format!("SELECT status FROM person WHERE id = {person}"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "departed");
}

async fn okta_provisions_finds_switches_off_and_brings_back_a_person_and_their_orphans_follow(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let manager = app
        .insert("INSERT INTO person (name, email, status) VALUES ('Mo Manager', 'mo@example.com', 'active')")
        .await;

    // Okta looks the person up first: an empty ListResponse, not a 404.
    let (status, list) = send(
        &app,
        &scim,
        "GET",
        "/Users?filter=userName%20eq%20%22dana%40example.com%22&startIndex=1&count=100",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 0);
    assert_eq!(list["Resources"], json!([]));

    let (status, created) = send(
        &app,
        &scim,
        "POST",
        "/Users",
        Some(okta_user("dana@example.com", "00u1")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id: i64 = created["id"].as_str().unwrap().parse().unwrap();
    assert!(created.get("password").is_none());
    let stored: String =
        sqlx::query_scalar(&format!("SELECT document FROM scim_user WHERE person_id = {id}"))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(!stored.contains("Okta-sent-this"), "a password is never kept");
    let (status, duplicate) = send(
        &app,
        &scim,
        "POST",
        "/Users",
        Some(okta_user("DANA@example.com", "00u9")),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(duplicate["scimType"], "uniqueness");
    assert_eq!(
        duplicate["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );

    // Dana is a person of the inventory, managed by Mo, and owns a credential.
    app.execute(&format!(
        "UPDATE person SET manager_id = {manager} WHERE id = {id}"
    ))
    .await;
    let credential = app
        .insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint) \
             VALUES ('dana-openai', 'api_key', 'openai', 'k-dana', '2026-01-01T00:00:00Z', 'active', {id}, 'f-dana')"
        ))
        .await;
    let (status, found) = send(
        &app,
        &scim,
        "GET",
        "/Users?filter=externalId%20eq%20%2200u1%22",
        None,
    )
    .await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(1)));

    // Okta switches her off with a path-less replace.
    let deactivate =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, patched) = send(&app, &scim, "PATCH", &format!("/Users/{id}"), Some(deactivate)).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);

    // Her credential is orphaned at once: in the orphan queue, riskier, on coverage.
    let gaps: json::Page<json::Gap> = app.get_json("/api/v1/ownership/gaps?state=orphaned").await;
    let gap = gaps
        .items
        .iter()
        .find(|g| g.entity.id == credential)
        .expect("the credential is an orphan");
    assert_eq!(gap.state, GapState::Orphaned);
    let detail: Value = app.get_json(&format!("/api/v1/credentials/{credential}")).await;
    let factors: Vec<&str> = detail["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(factors.contains(&"owner_departed"), "{factors:?}");
    let coverage: json::Coverage = app.get_json("/api/v1/coverage").await;
    assert_eq!(coverage.coverage.orphaned, 1);
    let audited = app
        .count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'person.depart' AND actor LIKE '%SCIM token%'",
        )
        .await;
    assert_eq!(audited, 1);

    // Okta re-activates with a PUT of the whole user.
    let (status, back) = send(
        &app,
        &scim,
        "PUT",
        &format!("/Users/{id}"),
        Some(okta_user("dana@example.com", "00u1")),
    )
    .await;
    assert_eq!(status, 200, "{back}");
    let gaps: json::Page<json::Gap> = app.get_json("/api/v1/ownership/gaps?state=orphaned").await;
    assert!(gaps.items.iter().all(|g| g.entity.id != credential), "hers again");
    let status: String = sqlx::query_scalar(&format!("SELECT status FROM person WHERE id = {id}"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "active");
}

async fn entra_requests_apply_with_their_capitals_strings_and_urn_paths(backend: Backend) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let entra_user = |upn: &str, object_id: &str, department: &str| {
        json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": object_id,
            "userName": upn,
            "active": true,
            "displayName": upn.split('@').next().unwrap(),
            "emails": [{"primary": true, "type": "work", "value": upn}],
            "name": {"formatted": upn, "familyName": "F", "givenName": "G"},
            ENTERPRISE: {"department": department},
        })
    };
    let (status, boss) = send(
        &app,
        &scim,
        "POST",
        "/Users",
        Some(entra_user("boss@contoso.com", "aa-1", "Engineering")),
    )
    .await;
    assert_eq!(status, 201, "{boss}");
    let (status, worker) = send(
        &app,
        &scim,
        "POST",
        "/Users",
        Some(entra_user("worker@contoso.com", "aa-2", "Payments")),
    )
    .await;
    assert_eq!(status, 201, "{worker}");
    let boss_id = boss["id"].as_str().unwrap().to_owned();
    let worker_id = worker["id"].as_str().unwrap().to_owned();

    // Entra: a capitalised op, the manager as a bare id on a URN path, a
    // string boolean, and a filtered path that adds the work email.
    let operations = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": boss_id},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w.new@contoso.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Wanda"},
    ]});
    let (status, patched) = send(
        &app,
        &scim,
        "PATCH",
        &format!("/Users/{worker_id}"),
        Some(operations),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], boss_id.as_str());
    let (manager, email, team, parent): (Option<i64>, String, String, Option<String>) =
        sqlx::query_as(&format!(
            "SELECT p.manager_id, p.email, t.name, (SELECT name FROM team WHERE id = t.parent_id) \
         FROM person p JOIN team t ON t.id = p.team_id WHERE p.id = {worker_id}"
        ))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(manager, boss_id.parse().ok());
    assert_eq!(email, "w.new@contoso.com");
    assert_eq!(team, "Payments");
    assert_eq!(
        parent.as_deref(),
        Some("Engineering"),
        "the manager's team heads the person's"
    );

    // Entra's filters: by externalId, and by work email.
    let (_, by_external) = send(
        &app,
        &scim,
        "GET",
        "/Users?filter=externalId%20eq%20%22aa-2%22",
        None,
    )
    .await;
    assert_eq!(by_external["Resources"][0]["id"], worker_id.as_str());
    let filter = "emails[type eq \"work\" and value eq \"w.new@contoso.com\"]";
    let (_, by_email) = send(
        &app,
        &scim,
        "GET",
        &format!("/Users?filter={}", urlencode(filter)),
        None,
    )
    .await;
    assert_eq!(by_email["totalResults"], 1, "{by_email}");
    let (_, projected) = send(
        &app,
        &scim,
        "GET",
        &format!("/Users/{worker_id}?attributes=userName"),
        None,
    )
    .await;
    assert_eq!(
        projected.as_object().unwrap().len(),
        4,
        "id, schemas, meta, userName: {projected}"
    );

    // Groups: created, members added and removed as Entra does.
    let (status, group) = send(&app, &scim, "POST", "/Groups", Some(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Muster Admins", "externalId": "g-1", "members": []
    }))).await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap();
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "members", "value": [{"value": boss_id}, {"value": worker_id}]}]});
    send(&app, &scim, "PATCH", &format!("/Groups/{group_id}"), Some(add)).await;
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": format!("members[value eq \"{boss_id}\"]")}]});
    let (_, group) = send(&app, &scim, "PATCH", &format!("/Groups/{group_id}"), Some(remove)).await;
    assert_eq!(group["members"], json!([{"value": worker_id}]));
    let (_, named) = send(
        &app,
        &scim,
        "GET",
        "/Groups?filter=displayName%20eq%20%22Muster%20Admins%22",
        None,
    )
    .await;
    assert_eq!(named["totalResults"], 1);

    // Entra's soft delete: "active": "False" as a string.
    let off =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let (status, off) = send(&app, &scim, "PATCH", &format!("/Users/{worker_id}"), Some(off)).await;
    assert_eq!((status, &off["active"]), (200, &json!(false)));
    let departed = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE id = {worker_id} AND status = 'departed'"
        ))
        .await;
    assert_eq!(departed, 1);
}

/// Provisions a user as Okta does; answers its SCIM id.
async fn provision(app: &TestApp, scim: &reqwest::Client, email: &str, external: &str) -> String {
    let (status, created) = send(app, scim, "POST", "/Users", Some(okta_user(email, external))).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn a_deleted_user_departs_and_keeps_their_history(backend: Backend) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let id = &provision(&app, &scim, "lee@example.com", "00u2").await;

    let (status, _) = send(&app, &scim, "DELETE", &format!("/Users/{id}"), None).await;

    assert_eq!(status, 204);
    let (status, missing) = send(&app, &scim, "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(missing["status"], "404");
    let kept = app
        .count(&format!(
            "SELECT COUNT(*) FROM person WHERE id = {id} AND status = 'departed'"
        ))
        .await;
    assert_eq!(kept, 1, "the person stays, departed");
    let verified = muster_server::audit::verify(&app.db).await.unwrap();
    assert!(verified.problem.is_none(), "the audit chain holds");
}

async fn a_scim_token_opens_scim_and_nothing_else_and_nothing_else_opens_scim(backend: Backend) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let agent = app.agent_client(&admin).await;

    // The SCIM token on the API: unknown there.
    for path in [
        "/api/v1/session",
        "/api/v1/agents",
        "/api/v1/people",
        "/api/v1/audit",
    ] {
        let status = scim.get(app.url(path)).send().await.unwrap().status();
        assert_eq!(status, 401, "{path}");
    }
    // Sessions of every role, an agent's token, no token, a revoked token: refused.
    for (who, client) in [
        ("admin session", &admin),
        ("agent token", &agent),
        ("nobody", &app.anonymous),
    ] {
        let response = client.get(app.url("/scim/v2/Users")).send().await.unwrap();
        assert_eq!(response.status(), 401, "{who}");
        assert!(response.headers().contains_key("www-authenticate"), "{who}");
    }
    app.execute("UPDATE scim_token SET revoked_at = '2026-01-01T00:00:00Z'")
        .await;
    assert_eq!(
        scim.get(app.url("/scim/v2/Users")).send().await.unwrap().status(),
        401
    );
}

async fn with_group_teams_a_group_is_the_team_of_its_members_and_what_they_own_follows(backend: Backend) {
    let app = spawn_app_with_settings(
        backend,
        Settings {
            scim_group_teams: true,
            ..Settings::default()
        },
    )
    .await;
    let scim = app.scim_client().await;
    let mut ids = Vec::new();
    for email in ["gia@example.com", "hal@example.com"] {
        let mut user = okta_user(email, email);
        // Departments are not teams here: groups are.
        user[ENTERPRISE] = json!({"department": "Ignored"});
        let (status, created) = send(&app, &scim, "POST", "/Users", Some(user)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let hal = &ids[1];
    let credential = app
        .insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint) \
             VALUES ('hal-key', 'api_key', 'openai', 'k-hal', '2026-01-01T00:00:00Z', 'active', {hal}, 'f-hal')"
        ))
        .await;
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Payments",
        "members": [{"value": ids[0]}, {"value": hal}],
    });
    let (status, created) = send(&app, &scim, "POST", "/Groups", Some(group)).await;
    assert_eq!(status, 201, "{created}");
    let team = |id: &str| {
        format!(
            "SELECT COUNT(*) FROM person p JOIN team t ON t.id = p.team_id WHERE p.id = {id} AND t.name = 'Payments'"
        )
    };
    assert_eq!(app.count(&team(&ids[0])).await, 1);
    assert_eq!(app.count(&team(hal)).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM team WHERE name = 'Ignored'")
            .await,
        0
    );
    let homed = format!(
        "SELECT COUNT(*) FROM credential c JOIN team t ON t.id = c.coverage_team_id WHERE c.id = {credential} AND t.name = 'Payments'"
    );
    assert_eq!(app.count(&homed).await, 1, "hal's key counts against Payments");

    // Hal leaves the group: he leaves the team, and so does his key.
    let group_id = created["id"].as_str().unwrap();
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{hal}\"]")}]});
    let (status, _) = send(&app, &scim, "PATCH", &format!("/Groups/{group_id}"), Some(remove)).await;
    assert_eq!(status, 200);
    assert_eq!(app.count(&team(hal)).await, 0);
    assert_eq!(app.count(&team(&ids[0])).await, 1);
    assert_eq!(app.count(&homed).await, 0);
}

async fn a_person_switched_off_loses_their_sessions_and_cannot_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let id = &provision(&app, &scim, "rae@example.com", "00u7").await;
    let rae = app.signed_in_as("rae@example.com", &[Role::Approver]).await;
    assert_eq!(
        rae.get(app.url("/api/v1/session")).send().await.unwrap().status(),
        200
    );

    let off =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}]});
    send(&app, &scim, "PATCH", &format!("/Users/{id}"), Some(off)).await;

    assert_eq!(
        rae.get(app.url("/api/v1/session")).send().await.unwrap().status(),
        401
    );
    let again = app.sign_in("rae@example.com", muster_tests::TEST_PASSWORD).await;
    assert_eq!(again.status(), 403);
}

async fn scim_never_adopts_a_person_by_an_address_it_does_not_vouch_for_nor_undoes_a_departure(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let vic = app
        .insert("INSERT INTO person (name, email, status) VALUES ('Vic', 'vic@example.com', 'active')")
        .await;
    let sneaky = json!({"schemas": [USER], "userName": "not-vic", "emails": [{"value": "vic@example.com", "type": "home"}]});
    let (status, refused) = send(&app, &scim, "POST", "/Users", Some(sneaky)).await;
    assert_eq!((status, refused["scimType"].as_str()), (409, Some("uniqueness")));
    let name: String = sqlx::query_scalar(&format!("SELECT name FROM person WHERE id = {vic}"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(name, "Vic", "untouched");

    // Adopted by his work address; a manager then marks him as left; a
    // SCIM write that says nothing new about `active` leaves it so.
    let (status, adopted) = send(
        &app,
        &scim,
        "POST",
        "/Users",
        Some(okta_user("vic@example.com", "00u8")),
    )
    .await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(adopted["id"], vic.to_string());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'scim.user.adopt'")
            .await,
        1
    );
    app.execute(&format!(
        "UPDATE person SET status = 'departed', departed_at = '2026-12-01T00:00:00Z' WHERE id = {vic}"
    ))
    .await;
    let rename = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "Victor"}]});
    let (status, _) = send(&app, &scim, "PATCH", &format!("/Users/{vic}"), Some(rename)).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM person WHERE id = {vic} AND status = 'departed'"
        ))
        .await,
        1
    );
}

async fn hostile_filters_paths_and_patches_are_refused_in_scim_terms(backend: Backend) {
    let app = spawn_app(backend).await;
    let scim = app.scim_client().await;
    let long = format!("userName eq \"{}\"", "a".repeat(5000));
    let (status, error) = send(
        &app,
        &scim,
        "GET",
        &format!("/Users?filter={}", urlencode(&long)),
        None,
    )
    .await;
    assert_eq!((status, error["scimType"].as_str()), (400, Some("invalidFilter")));
    // The longest chain a filter can hold is answered, not a crashed stack.
    let chain = (0..180)
        .map(|i| format!("userName eq \"{i}\""))
        .collect::<Vec<_>>()
        .join(" or ");
    assert!(chain.len() < 4096);
    let (status, _) = send(
        &app,
        &scim,
        "GET",
        &format!("/Users?filter={}", urlencode(&chain)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, error) = send(&app, &scim, "GET", "/Users?filter=userName%20zz%20%22x%22", None).await;
    assert_eq!((status, error["scimType"].as_str()), (400, Some("invalidFilter")));
    let id = &provision(&app, &scim, "uma@example.com", "00u9").await;
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"op": "replace", "path": "displayName", "value": "x"}))
        .collect();
    let (status, _) = send(
        &app,
        &scim,
        "PATCH",
        &format!("/Users/{id}"),
        Some(json!({"schemas": [PATCH_OP], "Operations": many})),
    )
    .await;
    assert_eq!(status, 400);
    let odd =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "urnİ:x", "value": "x"}]});
    let (status, _) = send(&app, &scim, "PATCH", &format!("/Users/{id}"), Some(odd)).await;
    assert_eq!(status, 400);
    let (status, _) = send(&app, &scim, "POST", "/Users", Some(json!("not an object"))).await;
    assert_eq!(status, 400);
}

on_every_backend!(
    a_person_switched_off_loses_their_sessions_and_cannot_sign_in,
    scim_never_adopts_a_person_by_an_address_it_does_not_vouch_for_nor_undoes_a_departure,
    hostile_filters_paths_and_patches_are_refused_in_scim_terms,
    with_group_teams_a_group_is_the_team_of_its_members_and_what_they_own_follows,
    the_scim_service_passes_the_scim2_tester_compliance_checks,
    scim2_cli_creates_queries_and_switches_off_a_person,
    okta_provisions_finds_switches_off_and_brings_back_a_person_and_their_orphans_follow,
    entra_requests_apply_with_their_capitals_strings_and_urn_paths,
    a_deleted_user_departs_and_keeps_their_history,
    a_scim_token_opens_scim_and_nothing_else_and_nothing_else_opens_scim,
);
