//! The operator's approvals page (`GET /approvals`, `approvals.rs`):
//! plain HTML in the sample's look (`/style.css`), no script (the sample's
//! CSP allows none inline). Every value from a request is escaped. While
//! nothing is pending the page reloads itself every few seconds; with
//! requests pending it does not, so a reason being typed is not lost.

use std::fmt::Write;

use crate::approvals::Summary;

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted
/// attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Wei (a decimal string) as ETH, e.g. `600000000000000000` → `0.6`.
pub fn eth(wei: &str) -> String {
    if wei.is_empty() || !wei.bytes().all(|b| b.is_ascii_digit()) {
        return "?".into();
    }
    let padded = format!("{wei:0>19}");
    let (int, frac) = padded.split_at(padded.len() - 18);
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    }
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), value);
}

fn item(out: &mut String, s: &Summary, now: u64) {
    let id = escape(&s.id);
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-{id}\"><h3 id=\"h-{id}\">{kind}</h3><dl>",
        kind = escape(&s.kind)
    );
    let dash = || "—".to_owned();
    row(out, "Chain", &s.chain.map_or_else(dash, |c| c.to_string()));
    row(
        out,
        "To",
        &s.to
            .as_deref()
            .map_or_else(dash, |t| format!("<code>{}</code>", escape(t))),
    );
    row(
        out,
        "Value",
        &format!(
            "{} ETH <span class=\"hint\">({} wei)</span>",
            escape(&eth(&s.value)),
            escape(&s.value)
        ),
    );
    let tokens = if s.tokens.is_empty() {
        dash()
    } else {
        let lines: Vec<String> = s
            .tokens
            .iter()
            .map(|t| format!("<li><code>{}</code></li>", escape(t)))
            .collect();
        format!("<ul>{}</ul>", lines.concat())
    };
    row(out, "Tokens", &tokens);
    row(
        out,
        "Origin",
        &s.origin.as_deref().map_or_else(dash, escape),
    );
    row(out, "User", &escape(&s.user));
    row(
        out,
        "Wallet",
        &format!("<code>{}</code>", escape(&s.wallet)),
    );
    row(out, "Rule", &s.rule.as_deref().map_or_else(dash, escape));
    row(
        out,
        "Answer due in",
        &format!("{} s", s.deadline.saturating_sub(now)),
    );
    let _ = write!(
        out,
        "<dt>Evaluation</dt><dd><code>{id}</code></dd></dl>\
         <form method=\"post\" action=\"/approvals/{id}\">\
         <label for=\"reason-{id}\">Reason (optional, sent with a refusal)</label>\
         <input id=\"reason-{id}\" name=\"reason\" maxlength=\"200\">\
         <div class=\"row\">\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"decision\" value=\"refuse\">Refuse</button>\
         </div></form></section>"
    );
}

/// The whole page for `pending` at `now` (Unix seconds).
pub fn render(pending: &[Summary], now: u64) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    if pending.is_empty() {
        out.push_str("<meta http-equiv=\"refresh\" content=\"3\">\n");
    }
    out.push_str(
        "<title>Approvals · Keyframe sample dApp</title>\n\
         <link rel=\"stylesheet\" href=\"/style.css\">\n</head>\n<body>\n<header>\n\
         <h1>Approvals</h1>\n\
         <p class=\"sub\">Requests that hot storage's policy sent to this operator \
         (rules with the effect <code>approve</code>). Each one waits until you decide \
         or its answer is due; then it is refused.</p>\n</header>\n",
    );
    let _ = write!(
        out,
        "<section aria-labelledby=\"pending-h\">\n<h2 id=\"pending-h\">Pending ({})</h2>\n",
        pending.len()
    );
    if pending.is_empty() {
        out.push_str("<p>Nothing is waiting. This page reloads by itself.</p>\n");
    } else {
        out.push_str("<p><a href=\"/approvals\">Reload</a></p>\n");
        for s in pending {
            item(&mut out, s, now);
        }
    }
    out.push_str("</section>\n<footer><p><a href=\"/\">Back to the sample dApp</a></p></footer>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eth_amounts() {
        assert_eq!(eth("600000000000000000"), "0.6");
        assert_eq!(eth("1000000000000000000"), "1");
        assert_eq!(eth("1500000000000000001"), "1.500000000000000001");
        assert_eq!(eth("0"), "0");
        assert_eq!(eth("1"), "0.000000000000000001");
        assert_eq!(eth("1e18"), "?");
    }

    #[test]
    fn everything_from_a_request_is_escaped() {
        let evil = "<script>alert(1)</script>\"'&";
        let s = Summary {
            id: "ev1".into(),
            kind: evil.into(),
            chain: Some(1),
            to: Some(evil.into()),
            value: evil.into(),
            tokens: vec![evil.into()],
            origin: Some(evil.into()),
            user: evil.into(),
            wallet: evil.into(),
            rule: Some(evil.into()),
            deadline: 10,
        };
        let html = render(&[s], 0);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("\"'&<"), "{html}");
        assert_eq!(
            html.matches("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;")
                .count(),
            8,
            "{html}"
        );
        assert!(html.contains("action=\"/approvals/ev1\""));
        assert!(!html.contains("http-equiv=\"refresh\""));
        assert!(render(&[], 0).contains("http-equiv=\"refresh\""));
    }
}
