//! Rate limits on logging in and on composing, per address and per account:
//! fixed-window counters in the database, so that every instance counts the
//! same attempts.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::owner::Owner;
use crate::storage::now;
use crate::storage::rate_limit as table;
use domain::account::normalize_email;
use domain::error::AppError;

/// At most `attempts` in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Attempts allowed per window.
    pub attempts: u32,
    /// The window's length.
    pub window: Duration,
}

/// The limits this server applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed logins, per address (then refused) and per account (then slowed).
    pub login: Limit,
    /// Accounts created per address.
    pub register: Limit,
    /// Payments attempted per account.
    pub buy: Limit,
    /// Pieces requested, per address and per signed-in account.
    pub compose: Limit,
    /// MIDI files read as motifs, per address and per owner (account or visitor).
    pub motif: Limit,
    /// The reverse proxies and load balancers in front of the server: a request
    /// from one of them counts for the client it names in `X-Forwarded-For`.
    pub trusted_proxies: Vec<IpNet>,
}

impl RateLimits {
    /// Counts a login attempt from `client` (see [`RateLimits::client`])
    /// before its password is checked, so that guesses sent at once all
    /// count; a 429 error once the address is over the limit. A login that
    /// succeeds gives its count back ([`RateLimits::login_succeeded`]), so
    /// only failures stay counted.
    pub async fn login(
        &self,
        db: &DatabaseConnection,
        client: &str,
    ) -> Result<LoginAttempt, AppError> {
        // One clock reading, so that the window given back is the one counted.
        let now = now();
        let attempt = LoginAttempt {
            key: login_address(client),
            window_start: window_start(self.login, now),
        };
        match hit(db, &attempt.key, self.login, now).await? {
            Ok(()) => Ok(attempt),
            Err(seconds) => Err(AppError::TooManyRequests {
                message: format!(
                    "Too many login attempts. Please wait {} and try again.",
                    in_words(seconds)
                ),
                retry_after: seconds,
            }),
        }
    }

    /// Gives back the count of a login `attempt` that succeeded.
    pub async fn login_succeeded(
        &self,
        db: &DatabaseConnection,
        attempt: &LoginAttempt,
    ) -> Result<(), DbErr> {
        table::Entity::update_many()
            .col_expr(
                table::Column::Count,
                sea_orm::sea_query::ExprTrait::sub(Expr::col(table::Column::Count), 1),
            )
            .filter(table::Column::Key.eq(attempt.key.as_str()))
            .filter(table::Column::WindowStart.eq(attempt.window_start))
            .filter(table::Column::Count.gt(0))
            .exec(db)
            .await
            .map(|_| ())
    }

    /// Whether the account named `email` has had more failed logins than the
    /// limit: its logins are then slowed down, never refused, so that someone
    /// who knows the email cannot lock its owner out.
    pub async fn login_slowed(&self, db: &DatabaseConnection, email: &str) -> Result<bool, DbErr> {
        Ok(over(db, &login_account(email), self.login, now())
            .await?
            .is_some())
    }

    /// Counts a failed login at the account named `email` (its address was
    /// counted as the attempt began): only failures count, so an owner who
    /// knows their password is never held back.
    pub async fn login_failed(&self, db: &DatabaseConnection, email: &str) -> Result<(), DbErr> {
        // Counted whatever the limit: the account's logins are slowed, not refused.
        let _over = hit(db, &login_account(email), self.login, now()).await?;
        Ok(())
    }

    /// Counts a payment attempted by account `user`; a 429 error once it is
    /// over the limit, before any card is charged.
    pub async fn buy(&self, db: &DatabaseConnection, user: i64) -> Result<(), AppError> {
        self.check(db, &[format!("buy:account:{user}")], self.buy, |wait| {
            format!("You have tried to pay many times in a short time. Please wait {wait} and try again.")
        })
        .await
    }

    /// Counts a registration from `client`; a 429 error once it is over the limit.
    pub async fn register(&self, db: &DatabaseConnection, client: &str) -> Result<(), AppError> {
        self.check(db, &[format!("register:address:{client}")], self.register, |wait| {
            format!("Too many accounts were created from your network. Please wait {wait} and try again.")
        })
        .await
    }

    /// Counts a MIDI file sent from `client` by `owner` to be read as a
    /// motif, before it is decoded; a 429 error once either is over the limit.
    pub async fn read_motif(
        &self,
        db: &DatabaseConnection,
        client: &str,
        owner: &Owner,
    ) -> Result<(), AppError> {
        use sha2::{Digest, Sha256};
        let owner = match owner {
            Owner::User(id) => format!("account:{id}"),
            // The visitor's key is their session's secret: only a digest is kept.
            Owner::Visitor(key) => format!("visitor:{}", hex::encode(Sha256::digest(key))),
        };
        let keys = [format!("motif:address:{client}"), format!("motif:{owner}")];
        self.check(db, &keys, self.motif, |wait| {
            format!("You have sent many MIDI files in a short time. Please wait {wait} before sending another.")
        })
        .await
    }

    /// Counts a piece requested from `client` (see [`RateLimits::client`])
    /// and by `user` when signed in; a 429 error once either is over the limit.
    pub async fn compose(
        &self,
        db: &DatabaseConnection,
        client: &str,
        user: Option<i64>,
    ) -> Result<(), AppError> {
        let mut keys = vec![format!("compose:address:{client}")];
        keys.extend(user.map(|id| format!("compose:account:{id}")));
        self.check(db, &keys, self.compose, |wait| {
            format!("You have asked for many pieces in a short time. Please wait {wait} before composing more.")
        })
        .await
    }

    async fn check(
        &self,
        db: &DatabaseConnection,
        keys: &[String],
        limit: Limit,
        message: impl Fn(&str) -> String,
    ) -> Result<(), AppError> {
        let mut retry_after = None;
        for key in keys {
            let outcome = hit(db, key, limit, now()).await?;
            if let Err(wait) = outcome {
                retry_after = retry_after.max(Some(wait));
            }
        }
        match retry_after {
            None => Ok(()),
            Some(seconds) => Err(AppError::TooManyRequests {
                message: message(&in_words(seconds)),
                retry_after: seconds,
            }),
        }
    }
}

/// A login attempt counted against its address, to give back if it succeeds.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    key: String,
    window_start: i64,
}

/// The start of the window of `limit` that time `now` is in.
fn window_start(limit: Limit, now: i64) -> i64 {
    let window = limit.window.as_secs().max(1) as i64;
    now - now.rem_euclid(window)
}

/// The counter of failed logins from `client`.
fn login_address(client: &str) -> String {
    format!("login:address:{client}")
}

/// The counter of failed logins at the account named `email`: by a digest of
/// the email as accounts store it, so that any spelling of one address is one
/// counter, and a key of bounded length whatever was typed.
fn login_account(email: &str) -> String {
    use sha2::{Digest, Sha256};
    let email = normalize_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    let digest = Sha256::digest(email.as_bytes());
    format!("login:account:{}", hex::encode(&digest[..16]))
}

/// Seconds until the window of `key` ends, if it already holds `limit`'s
/// attempts at time `now`; reads without counting.
async fn over(
    db: &DatabaseConnection,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Option<u32>, DbErr> {
    let window = limit.window.as_secs().max(1) as i64;
    let start = window_start(limit, now);
    let row = table::Entity::find_by_id(key.to_owned()).one(db).await?;
    Ok(row
        .filter(|row| row.window_start == start && row.count as u32 >= limit.attempts)
        .map(|_| (start + window - now).max(1) as u32))
}

/// Counts one attempt under `key` at time `now`: `Err(seconds until the window
/// ends)` once the window holds more than the limit.
async fn hit(
    db: &DatabaseConnection,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Result<(), u32>, DbErr> {
    let window = limit.window.as_secs().max(1) as i64;
    let start = window_start(limit, now);
    // One statement, so that concurrent attempts on any instance all count:
    // a new window starts at 1, the current one adds 1.
    let insert = Query::insert()
        .into_table(table::Entity)
        .columns([
            table::Column::Key,
            table::Column::WindowStart,
            table::Column::Count,
        ])
        .values_panic([key.into(), start.into(), 1.into()])
        .on_conflict(
            OnConflict::column(table::Column::Key)
                .value(
                    table::Column::Count,
                    Expr::cust(format!(
                        r#"CASE WHEN "rate_limits"."window_start" = {start} THEN "rate_limits"."count" + 1 ELSE 1 END"#
                    )),
                )
                .value(table::Column::WindowStart, start)
                .to_owned(),
        )
        .returning_col(table::Column::Count)
        .to_owned();
    let count: i32 = db
        .query_one(&insert)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("rate limit {key}")))?
        .try_get("", "count")?;
    if count as u32 > limit.attempts {
        Ok(Err((start + window - now).max(1) as u32))
    } else {
        Ok(Ok(()))
    }
}

/// Deletes counters whose window ended before `older_than` seconds ago; how many.
pub async fn forget_older_than(db: &DatabaseConnection, older_than: i64) -> Result<u64, DbErr> {
    let result = table::Entity::delete_many()
        .filter(table::Column::WindowStart.lt(now() - older_than))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

impl RateLimits {
    /// The address of a client whose request came from `peer` with
    /// `headers`, as a counter's key; IPv6 addresses by their /64 network,
    /// which one customer usually holds whole.
    pub fn client(&self, peer: SocketAddr, headers: &http::HeaderMap) -> String {
        let forwarded_for: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        match client_ip(peer.ip(), &forwarded_for, &self.trusted_proxies) {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => {
                let s = ip.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        }
    }
}

/// The client behind a request from `peer`: while the hop at hand is a trusted
/// proxy, the address it says it forwarded for (`X-Forwarded-For` read from
/// the right, where the nearest proxy appends). Whatever an untrusted hop
/// wrote there is ignored, so a client cannot pick its own address.
fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let mut client = peer.to_canonical();
    let hops = forwarded_for
        .iter()
        .flat_map(|value| value.split(','))
        .rev()
        .map(str::trim);
    for hop in hops {
        if !trusted.iter().any(|net| net.contains(&client)) {
            break;
        }
        // Some proxies write a port after the address.
        let named = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|addr| addr.ip()));
        match named {
            Ok(ip) => client = ip.to_canonical(),
            // Garbage: the last trusted hop is the best we know.
            Err(_) => break,
        }
    }
    client
}

/// `seconds` for a person: "40 seconds", "about 3 minutes".
pub fn in_words(seconds: u32) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("about {} minutes", seconds.div_ceil(60)),
    }
}

#[cfg(test)]
mod tests {
    use super::{client_ip, in_words};
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let proxies = [
            "10.0.0.0/8".parse().unwrap(),
            "192.0.2.1/32".parse().unwrap(),
        ];
        // (why, peer, X-Forwarded-For headers, proxies trusted, the client)
        let cases: [(&str, &str, &[&str], &[_], &str); 8] = [
            (
                "no proxies trusted",
                "203.0.113.7",
                &["198.51.100.1"],
                &[],
                "203.0.113.7",
            ),
            (
                "untrusted peer",
                "203.0.113.7",
                &["198.51.100.1"],
                &proxies,
                "203.0.113.7",
            ),
            (
                "one proxy",
                "10.1.2.3",
                &["198.51.100.1"],
                &proxies,
                "198.51.100.1",
            ),
            // The address the outer proxy saw, not what the client wrote.
            (
                "two proxies",
                "10.1.2.3",
                &["6.6.6.6, 198.51.100.1", "192.0.2.1"],
                &proxies,
                "198.51.100.1",
            ),
            (
                "a port",
                "10.1.2.3",
                &["198.51.100.1:5123"],
                &proxies,
                "198.51.100.1",
            ),
            (
                "mapped IPv4",
                "::ffff:10.1.2.3",
                &["[2001:db8::1]:443"],
                &proxies,
                "2001:db8::1",
            ),
            ("garbage", "10.1.2.3", &["unknown"], &proxies, "10.1.2.3"),
            ("no header", "10.1.2.3", &[], &proxies, "10.1.2.3"),
        ];
        for (why, peer, forwarded_for, trusted, client) in cases {
            assert_eq!(
                client_ip(ip(peer), forwarded_for, trusted),
                ip(client),
                "{why}"
            );
        }
    }

    #[test]
    fn waits_are_written_for_people() {
        assert_eq!(in_words(1), "a second");
        assert_eq!(in_words(40), "40 seconds");
        assert_eq!(in_words(150), "about 3 minutes");
        assert_eq!(in_words(900), "about 15 minutes");
    }
}
