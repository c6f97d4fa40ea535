//! The account settings as a browser without JavaScript uses them: plain
//! form posts answered with redirects, and pages that say what happened.

use crate::accounts::post_form;
use crate::helpers::TestApp;

/// The path and query a redirect points to, relative to the site.
fn location(app: &TestApp, res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 302);
    res.headers()["location"]
        .to_str()
        .unwrap()
        .replace(&app.url(""), "")
}

#[test]
fn account_settings_work_without_javascript() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let phone = app.log_in("ann", "Safari/604.1 (iPhone)").await;
        let page = app.page(&ann.client, "/settings").await;
        for part in [
            "Current password",
            "New password",
            "Change password",
            "aria-label=\"Sessions\"",
            "Log out everywhere else",
            "This device",
            "Safari on iPhone",
            "Delete account",
            "the role passes to the member who has been there longest",
        ] {
            assert!(page.contains(part), "{part} missing from /settings");
        }
        assert!(!page.contains("Delete my account"), "the second step waits");

        // A refused change comes back to the form with what to fix.
        let res = post_form(
            &app,
            &ann.client,
            "/api/change_password",
            "/settings",
            &[
                ("current_password", "wrong password"),
                ("new_password", "new password 1"),
            ],
        )
        .await;
        let back = location(&app, &res);
        assert!(
            back.starts_with("/settings?") && back.contains("__err="),
            "{back}"
        );
        let page = app.page(&ann.client, &back).await;
        assert!(page.contains("That is not your password."), "{page}");

        let res = post_form(
            &app,
            &ann.client,
            "/api/change_password",
            "/settings",
            &[
                ("current_password", "password123"),
                ("new_password", "new password 1"),
            ],
        )
        .await;
        assert_eq!(location(&app, &res), "/settings?done=password");
        let page = app.page(&ann.client, "/settings?done=password").await;
        assert!(page.contains("Password changed."));
        assert!(app.me(&phone.client).await.is_null());

        // Log out a session from the list, then everywhere else.
        let other = app
            .log_in_with("ann", "new password 1", "Firefox/127.0 (Windows)")
            .await;
        let id: String = on_store!(app, |db| sqlx::query_scalar(
            "SELECT public_id FROM sessions WHERE device = 'Firefox on Windows'",
        )
        .fetch_one(db)
        .await)
        .unwrap();
        let res = post_form(
            &app,
            &ann.client,
            "/api/end_session",
            "/settings",
            &[("session", &id)],
        )
        .await;
        assert_eq!(location(&app, &res), "/settings?done=session");
        assert!(app.me(&other.client).await.is_null());
        let page = app.page(&ann.client, "/settings?done=session").await;
        assert!(page.contains("That session is logged out."));
        let other = app
            .log_in_with("ann", "new password 1", "Firefox/127.0")
            .await;
        let res = post_form(
            &app,
            &ann.client,
            "/api/end_other_sessions",
            "/settings",
            &[],
        )
        .await;
        assert_eq!(location(&app, &res), "/settings?done=other-sessions");
        assert!(app.me(&other.client).await.is_null());

        // Deleting: the button opens the second step as a page of its own.
        let page = app.page(&ann.client, "/settings?step=delete").await;
        for part in [
            "Delete my account",
            "Your password",
            "Your messages",
            "deleted user",
        ] {
            assert!(page.contains(part), "{part} missing from the second step");
        }
        let res = post_form(
            &app,
            &ann.client,
            "/api/delete_account",
            "/settings?step=delete",
            &[("password", "new password 1")],
        )
        .await;
        let back = location(&app, &res);
        assert!(back.starts_with("/settings?step=delete&"), "{back}");
        let page = app.page(&ann.client, &back).await;
        assert!(
            page.contains("Choose whether your messages stay")
                && page.contains("Delete my account"),
            "the second step stays open with the error: {page}"
        );
        let res = post_form(
            &app,
            &ann.client,
            "/api/delete_account",
            "/settings?step=delete",
            &[("password", "new password 1"), ("messages", "remove")],
        )
        .await;
        assert_eq!(location(&app, &res), "/");
        assert!(app.me(&ann.client).await.is_null());
    })
}
