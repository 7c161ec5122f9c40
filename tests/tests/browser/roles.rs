//! Each demo role signs in on a demo server and sees only what it may do:
//! its navigation lists exactly its screens, and a screen opened by URL
//! without the role says which role it needs instead of failing.

use muster_server::Settings;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_settings};

use super::{built_dist, nav_titles, present, sign_in, sign_out};

/// Per demo account: the screens its navigation lists.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "viewer@demo.test",
        &[
            "Overview",
            "Inventory",
            "Graph",
            "Revocations",
            "Reviews",
            "Notifications",
        ],
    ),
    (
        "manager@demo.test",
        &[
            "Overview",
            "Inventory",
            "My teams",
            "Graph",
            "Revocations",
            "Reviews",
            "Notifications",
        ],
    ),
    (
        "approver@demo.test",
        &[
            "Overview",
            "Inventory",
            "Graph",
            "Revocations",
            "Approvals",
            "Reviews",
            "Notifications",
        ],
    ),
    (
        "ciso@demo.test",
        &[
            "Overview",
            "Inventory",
            "My teams",
            "Graph",
            "Revocations",
            "Approvals",
            "Reviews",
            "Notifications",
            "Audit",
        ],
    ),
    (
        "admin@demo.test",
        &[
            "Overview",
            "Inventory",
            "My teams",
            "Graph",
            "Revocations",
            "Approvals",
            "Reviews",
            "Notifications",
            "Imports",
            "Audit",
            "Admin",
        ],
    ),
];

/// Screens that need a role, by path and title.
const GUARDED: &[(&str, &str)] = &[
    ("/teams", "My teams"),
    ("/approvals", "Approvals"),
    ("/imports", "Imports"),
    ("/audit", "Audit"),
    ("/admin", "Admin"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_role_sees_only_the_screens_it_may_use() {
    let app = spawn_app_with_settings(
        Backend::Sqlite,
        Settings {
            dist: built_dist(),
            demo: true,
            ..Settings::default()
        },
    )
    .await;
    muster_server::demo::create_accounts(&app.db, TEST_PASSWORD)
        .await
        .expect("the demo accounts are created");
    let browser = Browser::start().await;

    browser.goto(&app.url("/")).await;
    browser
        .wait_for_text("[data-testid=demo-notice]", "admin@demo.test")
        .await;
    browser.screenshot("sign-in-demo").await;

    for (email, screens) in EXPECTED {
        sign_in(&browser, email, TEST_PASSWORD).await;
        browser.wait_for_text("main h1", "Overview").await;
        assert_eq!(nav_titles(&browser).await, *screens, "{email}'s navigation");
        for (path, title) in GUARDED {
            browser.goto(&app.url(path)).await;
            browser.wait_for_text("main h1", title).await;
            let refused = present(&browser, "[data-testid=forbidden]").await;
            assert_eq!(refused, !screens.contains(title), "{email} on {path}");
            if refused {
                browser
                    .wait_for_text("[data-testid=forbidden]", "needs one of the roles")
                    .await;
            }
        }
        if *email == "viewer@demo.test" {
            browser.screenshot("forbidden-admin").await;
        }
        sign_out(&browser).await;
        browser.goto(&app.url("/")).await;
    }
    browser.assert_no_console_errors().await;
    browser.close().await;
}
