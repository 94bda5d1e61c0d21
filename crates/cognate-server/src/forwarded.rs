//! The client's address behind proxies that append to X-Forwarded-For.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The X-Forwarded-For entry the outermost of `trusted_proxies` proxies added, or the peer.
pub(crate) fn client(trusted_proxies: u32, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if trusted_proxies == 0 {
        return peer.ip();
    }
    // Every X-Forwarded-For header, in order, as one list: proxies may append a header.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .collect();
    let hops = trusted_proxies as usize;
    if entries.len() < hops {
        // The request did not come through every proxy we were told of: only the peer is
        // known.
        return peer.ip();
    }
    entries[entries.len() - hops]
        .parse()
        .unwrap_or_else(|_| peer.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_client_cannot_choose_its_forwarded_address() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let forged = headers(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client(0, peer, &forged), peer.ip());
        assert_eq!(
            client(1, peer, &forged).to_string(),
            "203.0.113.7",
            "one proxy: the entry it appended"
        );
        let two = headers(&["6.6.6.6, 203.0.113.7", "10.0.0.9"]);
        assert_eq!(client(2, peer, &two).to_string(), "203.0.113.7");
        assert_eq!(
            client(3, peer, &two).to_string(),
            "6.6.6.6",
            "three proxies: the third from the right"
        );
        assert_eq!(
            client(2, peer, &headers(&["203.0.113.7"])),
            peer.ip(),
            "fewer entries than proxies: the peer"
        );
        assert_eq!(client(1, peer, &headers(&["not-an-address"])), peer.ip());
    }
}
