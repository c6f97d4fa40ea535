//! The log-in throttles under attack (audit findings 6, 7 and 8): guesses
//! from elsewhere never refuse the owner, guesses in flight cannot outrun
//! the budget, and a trusted proxy's clients each have their own.

use futures::future::join_all;

use crate::helpers::TestApp;

const WRONG: &[(&str, &str)] = &[("username", "judy"), ("password", "wrong-password")];
const RIGHT: &[(&str, &str)] = &[("username", "judy"), ("password", "password123")];

#[test]
fn guesses_from_another_address_never_refuse_the_right_password() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 3).await;
        app.person("judy").await;
        let attacker = app.client_from("127.0.0.2");
        let mut statuses = vec![];
        for _ in 0..6 {
            statuses.push(app.call(&attacker, "login", WRONG).await.status().as_u16());
        }
        assert_eq!(
            statuses,
            [401, 401, 401, 429, 429, 429],
            "the guesser is stopped"
        );
        let owner = app.client_from("127.0.0.3");
        let res = app.call(&owner, "login", RIGHT).await;
        assert_eq!(
            res.status(),
            200,
            "the owner logs in from their own address"
        );
    })
}

#[test]
fn guesses_in_flight_cannot_outrun_the_budget() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 5).await;
        app.person("judy").await;
        let guesser = app.client_from("127.0.0.4");
        let answers = join_all((0..30).map(|_| app.call(&guesser, "login", WRONG))).await;
        let checked = answers.iter().filter(|r| r.status() == 401).count();
        let refused = answers.iter().filter(|r| r.status() == 429).count();
        assert!(
            checked <= 5,
            "{checked} passwords were checked against 5 a minute"
        );
        assert_eq!(
            checked + refused,
            30,
            "every other guess is refused, not failed"
        );
    })
}

#[test]
fn a_trusted_proxys_clients_each_have_their_own_budget() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.logins_per_minute = 2;
            c.trusted_proxies = vec!["127.0.0.5/32".parse().unwrap()];
        })
        .await;
        app.person("judy").await;
        let proxy = app.client_from("127.0.0.5");
        let via = |client: &'static str| {
            let proxy = proxy.clone();
            let url = app.url("/api/login");
            async move {
                proxy
                    .post(url)
                    .header("x-forwarded-for", format!("{client}, 127.0.0.5"))
                    .form(WRONG)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        for _ in 0..2 {
            assert_eq!(via("203.0.113.7").await, 401);
        }
        assert_eq!(via("203.0.113.7").await, 429, "that client is out of tries");
        assert_eq!(
            via("203.0.113.8").await,
            401,
            "another client behind the proxy is not"
        );
        assert_eq!(via("2001:db8:1:2::1").await, 401);
        assert_eq!(via("2001:db8:1:2::2").await, 401);
        assert_eq!(
            via("2001:db8:1:2:ffff::3").await,
            429,
            "one IPv6 /64 is one client"
        );

        // The same header from anyone else is ignored: this client is
        // 127.0.0.6, whatever it says.
        let liar = app.client_from("127.0.0.6");
        let mut statuses = vec![];
        for n in 0..3 {
            let res = liar
                .post(app.url("/api/login"))
                .header("x-forwarded-for", format!("198.51.100.{n}"))
                .form(WRONG)
                .send()
                .await
                .unwrap();
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 429]);
    })
}
