//! Where a session came from: its channel, from the first touch's referrer, campaign
//! parameters and click ids.

use serde::Serialize;

use super::Touch;

/// Marketing channels, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Paid,
    Email,
    Social,
    Review,
    Search,
    Referral,
    Direct,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Paid,
        Channel::Email,
        Channel::Social,
        Channel::Review,
        Channel::Search,
        Channel::Referral,
        Channel::Direct,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Paid => "paid",
            Channel::Email => "email",
            Channel::Social => "social",
            Channel::Review => "review",
            Channel::Search => "search",
            Channel::Referral => "referral",
            Channel::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

const PAID_MEDIA: &[&str] = &[
    "cpc",
    "ppc",
    "paid",
    "paidsearch",
    "paid-social",
    "display",
    "cpm",
    "ads",
];
const CLICK_IDS: &[&str] = &["gclid", "fbclid", "msclkid", "ttclid", "li_fat_id"];
const EMAIL_MEDIA: &[&str] = &["email", "e-mail", "newsletter"];
const EMAIL_SOURCES: &[&str] = &["newsletter", "email"];
const SOCIAL_MEDIA: &[&str] = &["social", "social-media", "sm"];
const SOCIAL_HOSTS: &[&str] = &[
    "facebook.com",
    "instagram.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "reddit.com",
    "pinterest.com",
    "tiktok.com",
    "youtube.com",
    "mastodon.social",
    "threads.net",
    "bsky.app",
];
const REVIEW_HOSTS: &[&str] = &[
    "trustpilot.com",
    "g2.com",
    "capterra.com",
    "yelp.com",
    "tripadvisor.com",
    "reviews.io",
    "producthunt.com",
];
const SEARCH_MEDIA: &[&str] = &["organic", "search"];
const SEARCH_HOSTS: &[&str] = &[
    "bing.com",
    "duckduckgo.com",
    "search.yahoo.com",
    "yahoo.com",
    "ecosia.org",
    "baidu.com",
    "search.brave.com",
    "qwant.com",
];

/// The channel of a session: the channel of its first touch.
pub fn of_session(session: &[Touch]) -> Channel {
    session.first().map_or(Channel::Direct, of_touch)
}

/// Classifies one touch; the first matching rule wins (see the README's *Reports*).
pub fn of_touch(touch: &Touch) -> Channel {
    let lower = |s: &Option<String>| s.as_deref().map(str::to_ascii_lowercase);
    let medium = lower(&touch.utm_medium);
    let source = lower(&touch.utm_source);
    let medium = medium.as_deref();
    let url = url::Url::parse(&touch.url).ok();
    let own_host = url.as_ref().and_then(|u| u.host_str()).map(strip_www);
    let host = touch
        .referrer
        .as_deref()
        .and_then(|r| url::Url::parse(r).ok())
        .and_then(|r| {
            r.host_str()
                .map(|h| strip_www(&h.to_ascii_lowercase()).to_owned())
        })
        .filter(|h| Some(h.as_str()) != own_host);
    let host = host.as_deref();
    let ends_with_any = |hosts: &[&str]| {
        host.is_some_and(|h| {
            hosts
                .iter()
                .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        })
    };
    let has_click_id = url.as_ref().is_some_and(|u| {
        u.query_pairs()
            .any(|(k, _)| CLICK_IDS.contains(&k.to_ascii_lowercase().as_str()))
    });

    if medium.is_some_and(|m| PAID_MEDIA.contains(&m)) || has_click_id {
        Channel::Paid
    } else if medium.is_some_and(|m| EMAIL_MEDIA.contains(&m))
        || source
            .as_deref()
            .is_some_and(|s| EMAIL_SOURCES.contains(&s))
    {
        Channel::Email
    } else if medium.is_some_and(|m| SOCIAL_MEDIA.contains(&m)) || ends_with_any(SOCIAL_HOSTS) {
        Channel::Social
    } else if ends_with_any(REVIEW_HOSTS) {
        Channel::Review
    } else if medium.is_some_and(|m| SEARCH_MEDIA.contains(&m))
        || ends_with_any(SEARCH_HOSTS)
        || host.is_some_and(is_google)
    {
        Channel::Search
    } else if host.is_some() {
        Channel::Referral
    } else {
        Channel::Direct
    }
}

fn strip_www(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

/// `google.com`, `google.de`, `google.co.uk`, `news.google.com`, …
fn is_google(host: &str) -> bool {
    host.split('.').any(|label| label == "google")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(
        url: &str,
        referrer: Option<&str>,
        source: Option<&str>,
        medium: Option<&str>,
    ) -> Touch {
        Touch {
            url: url.into(),
            referrer: referrer.map(Into::into),
            utm_source: source.map(Into::into),
            utm_medium: medium.map(Into::into),
            ..Touch::default()
        }
    }

    #[test]
    fn rules_in_order() {
        let shop = "https://shop.example/";
        let cases = [
            (touch(shop, None, None, Some("CPC")), Channel::Paid),
            (
                touch(
                    "https://shop.example/?gclid=abc",
                    Some("https://www.google.com/"),
                    None,
                    None,
                ),
                Channel::Paid,
            ),
            (touch(shop, None, Some("newsletter"), None), Channel::Email),
            (
                touch(shop, Some("https://mail.example/"), None, Some("email")),
                Channel::Email,
            ),
            (
                touch(shop, Some("https://l.facebook.com/x"), None, None),
                Channel::Social,
            ),
            (
                touch(shop, Some("https://t.co/abc"), None, None),
                Channel::Social,
            ),
            (
                touch(
                    shop,
                    Some("https://de.trustpilot.com/review/shop"),
                    None,
                    None,
                ),
                Channel::Review,
            ),
            (
                touch(shop, Some("https://www.google.de/"), None, None),
                Channel::Search,
            ),
            (
                touch(shop, Some("https://news.google.co.uk/"), None, None),
                Channel::Search,
            ),
            (
                touch(shop, Some("https://duckduckgo.com/"), None, None),
                Channel::Search,
            ),
            (
                touch(shop, Some("https://blog.example/post"), None, None),
                Channel::Referral,
            ),
            (
                touch(shop, Some("https://www.shop.example/cart"), None, None),
                Channel::Direct,
            ),
            (touch(shop, None, None, None), Channel::Direct),
            (touch(shop, Some("not a url"), None, None), Channel::Direct),
        ];
        for (touch, expected) in cases {
            assert_eq!(of_touch(&touch), expected, "{touch:?}");
        }
    }
}
