//! Who is at the other end of a request: the client's address and whether
//! the connection is secure. They come from the TCP peer and, only when that
//! peer is a proxy the operator trusts (`--trusted-proxy`), from the
//! `X-Forwarded-For` and `X-Forwarded-Proto` it adds. Nobody else's
//! forwarded headers are believed: a client could otherwise choose its own
//! address (and so its sign-in throttle) or claim TLS.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::AppState;

/// What the server knows of the client of one request (in the request's
/// extensions, put there by [`identify`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the peer's, or the one a trusted proxy names.
    pub address: Option<IpAddr>,
    /// Whether the request came over TLS, as a trusted proxy says (Muster
    /// itself serves plain HTTP).
    pub tls: bool,
    /// Whether a browser keeps a `Secure` cookie here: over TLS, or on
    /// localhost, which browsers treat as secure.
    pub secure: bool,
}

/// A trusted proxy as the operator writes it: an address or a network
/// (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`).
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an IP address or network"))
}

/// The client of a request that `peer` sent with `headers`, trusting the
/// forwarded headers of the proxies in `trusted` only. Of the addresses in
/// `X-Forwarded-For`, the rightmost one that is not a trusted proxy is the
/// client: those on its left were written by the client itself.
pub fn client_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Client {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let via_proxy = peer.is_some_and(|peer| is_trusted(&peer));
    let mut address = peer;
    let mut tls = false;
    if via_proxy {
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        if let Some(client) = forwarded.iter().rev().find(|ip| !is_trusted(ip)) {
            address = Some(*client);
        }
        tls = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    }
    Client {
        address,
        tls,
        secure: tls || on_localhost(headers),
    }
}

/// Whether the request's `Host` is localhost, where browsers keep `Secure`
/// cookies over plain HTTP.
fn on_localhost(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let hostname = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    matches!(hostname, "localhost" | "127.0.0.1" | "[::1]")
}

/// The group an address is throttled in: an IPv4 address alone, an IPv6
/// address with its /64 (one subscriber gets a whole /64 and picks freely
/// in it).
pub fn throttle_group(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !((1_u128 << 64) - 1);
                format!("{}/64", std::net::Ipv6Addr::from(network))
            }
        },
    }
}

/// `Strict-Transport-Security` for responses over TLS: a year, this host.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000");

/// Middleware: works out the [`Client`] of each request, and marks
/// responses over TLS with HSTS.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let client = client_of(peer, request.headers(), &state.settings.trusted_proxies);
    request.extensions_mut().insert(client);
    let mut response = next.run(request).await;
    if client.tls {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted = [parse_proxy("10.0.0.0/24").unwrap()];
        let forwarded = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("host", "muster.example.com"),
        ]);
        let direct = client_of(Some("198.51.100.1".parse().unwrap()), &forwarded, &trusted);
        assert_eq!(direct.address, Some("198.51.100.1".parse().unwrap()));
        assert!(!direct.tls && !direct.secure, "a client cannot claim TLS");
        let proxied = client_of(Some(proxy), &forwarded, &trusted);
        assert_eq!(
            proxied.address,
            Some("203.0.113.9".parse().unwrap()),
            "the rightmost untrusted address, not the one the client wrote"
        );
        assert!(proxied.tls && proxied.secure);
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.7")]);
        assert_eq!(
            client_of(Some(proxy), &chain, &trusted).address,
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(client_of(Some(proxy), &chain, &[]).address, Some(proxy));
        assert!(parse_proxy("10.0.0.5").is_ok() && parse_proxy("nope").is_err());
    }

    #[test]
    fn ipv6_addresses_are_throttled_by_their_64() {
        assert_eq!(
            throttle_group("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_group("2001:db8:1:2:ffff::9".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(throttle_group("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(throttle_group("192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
