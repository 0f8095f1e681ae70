//! Checks a [`Document`] and compiles it into a [`Policy`]: every string
//! parsed once (amounts, addresses, selectors, windows, times of day), so
//! evaluation cannot fail. Errors name the rule and the field:
//! `rules[2] "small-usdc": when.token_transfers[0].at_most: not a decimal integer`.

use crate::amount::NOT_DECIMAL;
use crate::document::{Document, Effect, Limit, Rule, TokenMatch, When};
use crate::syntax::{is_address, is_selector, parse_duration, parse_time_of_day};
use crate::{Amount, Error, Kind};
use serde_json::Value;

/// Most rules one document may hold.
pub const MAX_RULES: usize = 256;
/// Most limits one rule may hold.
pub const MAX_LIMITS: usize = 8;
/// Most entries of one list in a rule.
pub const MAX_LIST: usize = 256;
/// The longest rule id.
pub const MAX_ID_CHARS: usize = 64;

/// A compiled condition; [`crate::eval`] checks it.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Kinds(Vec<Kind>),
    Chains(Vec<u64>),
    Origins(Vec<String>),
    To(Vec<String>),
    NotTo(Vec<String>),
    ToContracts(Vec<String>),
    Selectors(Vec<String>),
    ContractCall(bool),
    ValueAtMost(Amount),
    ValueAtLeast(Amount),
    TokenTransfers(Vec<TokenCond>),
    TokenTransferCountAtMost(u64),
    Approvals(bool),
    Spenders(Vec<String>),
    SpendersNotIn(Vec<String>),
    ApprovalAtMost(Amount),
    TypedData {
        names: Option<Vec<String>>,
        contracts: Option<Vec<String>>,
        types: Option<Vec<String>>,
    },
    SiweDomains(Vec<String>),
    Siwe(bool),
    Programs(Vec<String>),
    LamportsAtMost(Amount),
    LamportsAtLeast(Amount),
    FeeAtMost(Amount),
    TimeOfDay {
        from: u32,
        to: u32,
    },
    Until(u64),
}

#[derive(Debug, Clone)]
pub(crate) struct TokenCond {
    pub token: Option<String>,
    pub to: Option<Vec<String>>,
    pub at_most: Option<Amount>,
    pub at_least: Option<Amount>,
}

/// What a limit measures.
#[derive(Debug, Clone)]
pub(crate) enum Measure {
    Value(Amount),
    Lamports(Amount),
    Count(u64),
    Token(String, Amount),
}

#[derive(Debug, Clone)]
pub(crate) struct CLimit {
    pub window: u64,
    pub window_text: String,
    pub measure: Measure,
}

#[derive(Debug, Clone)]
pub(crate) struct CRule {
    pub id: String,
    pub effect: Effect,
    pub silent: bool,
    pub conds: Vec<Cond>,
    pub limits: Vec<CLimit>,
}

/// A checked policy, ready to evaluate. Built only by
/// [`Policy::from_json`] or [`Policy::new`], so it is always valid.
#[derive(Debug, Clone)]
pub struct Policy {
    doc: Document,
    pub(crate) rules: Vec<CRule>,
}

impl Policy {
    /// Parses and checks a policy document.
    pub fn from_json(text: &str) -> Result<Policy, Error> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::Syntax(format!("not JSON: {e}")))?;
        Policy::from_value(v)
    }

    /// Checks a policy document already parsed as JSON. Each rule is read
    /// on its own so an error in it names it.
    pub fn from_value(v: Value) -> Result<Policy, Error> {
        let Value::Object(mut top) = v else {
            return Err(Error::Syntax("a policy is a JSON object".into()));
        };
        if let Some(k) = top
            .keys()
            .find(|k| !matches!(k.as_str(), "version" | "default" | "rules"))
        {
            return Err(invalid(
                k,
                "unknown field (expected version, default, rules)",
            ));
        }
        let version = match top.get("version") {
            Some(Value::Number(n)) => n.as_u64(),
            None => return Err(invalid("version", "missing")),
            _ => None,
        };
        if version != Some(1) {
            return Err(invalid(
                "version",
                "unsupported version (this build reads 1)",
            ));
        }
        let default: Effect = match top.remove("default") {
            None => return Err(invalid("default", "missing")),
            Some(d) => serde_json::from_value(d)
                .map_err(|_| invalid("default", "expected allow, ask, approve or deny"))?,
        };
        let raw_rules = match top.remove("rules") {
            None => Vec::new(),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(invalid("rules", "expected an array")),
        };
        if raw_rules.len() > MAX_RULES {
            return Err(invalid("rules", &format!("more than {MAX_RULES} rules")));
        }
        let mut rules = Vec::with_capacity(raw_rules.len());
        for (i, r) in raw_rules.into_iter().enumerate() {
            let id = r.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
            let rule: Rule = serde_json::from_value(r)
                .map_err(|e| invalid(&rule_label(i, &id), &e.to_string()))?;
            rules.push(rule);
        }
        Policy::new(Document {
            version: 1,
            default,
            rules,
        })
    }

    /// Checks a document built in code.
    pub fn new(doc: Document) -> Result<Policy, Error> {
        if doc.version != 1 {
            return Err(invalid(
                "version",
                "unsupported version (this build reads 1)",
            ));
        }
        if doc.rules.len() > MAX_RULES {
            return Err(invalid("rules", &format!("more than {MAX_RULES} rules")));
        }
        let mut rules: Vec<CRule> = Vec::with_capacity(doc.rules.len());
        for (i, r) in doc.rules.iter().enumerate() {
            let label = rule_label(i, &r.id);
            let at = |field: &str| format!("{label}: {field}");
            if r.id.is_empty()
                || r.id.chars().count() > MAX_ID_CHARS
                || !r
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
            {
                return Err(invalid(
                    &at("id"),
                    &format!("1 to {MAX_ID_CHARS} characters of A-Z a-z 0-9 - _ . :"),
                ));
            }
            if let Some(j) = rules.iter().position(|o| o.id == r.id) {
                return Err(invalid(&at("id"), &format!("duplicate of rules[{j}]")));
            }
            if r.silent && r.effect != Effect::Approve {
                return Err(invalid(&at("silent"), "only an approve rule may be silent"));
            }
            if r.effect == Effect::Deny && !r.limits.is_empty() {
                return Err(invalid(&at("limits"), "a deny rule takes no limits"));
            }
            if r.limits.len() > MAX_LIMITS {
                return Err(invalid(
                    &at("limits"),
                    &format!("more than {MAX_LIMITS} limits"),
                ));
            }
            let conds =
                compile_when(&r.when).map_err(|(f, m)| invalid(&at(&format!("when.{f}")), &m))?;
            let limits = r
                .limits
                .iter()
                .enumerate()
                .map(|(j, l)| {
                    compile_limit(l).map_err(|(f, m)| invalid(&at(&format!("limits[{j}].{f}")), &m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(CRule {
                id: r.id.clone(),
                effect: r.effect,
                silent: r.silent,
                conds,
                limits,
            });
        }
        Ok(Policy { doc, rules })
    }

    /// The longest window of any of its rules' limits, in seconds; `None`
    /// when no rule has a limit. Usage older than this cannot change an
    /// evaluation, so a caller need not read it.
    pub fn longest_window(&self) -> Option<u64> {
        self.rules
            .iter()
            .flat_map(|r| r.limits.iter().map(|l| l.window))
            .max()
    }

    /// The document this policy was built from.
    pub fn document(&self) -> &Document {
        &self.doc
    }

    /// What happens when no rule matches.
    pub fn default_effect(&self) -> Effect {
        self.doc.default
    }
}

/// A policy that asks about everything: what hot storage applies when its
/// operator configured none.
impl Default for Policy {
    fn default() -> Policy {
        Policy {
            doc: Document {
                version: 1,
                default: Effect::Ask,
                rules: Vec::new(),
            },
            rules: Vec::new(),
        }
    }
}

fn rule_label(i: usize, id: &str) -> String {
    format!("rules[{i}] {id:?}")
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

type Fail = (String, String);

fn fail(field: &str, message: &str) -> Fail {
    (field.to_owned(), message.to_owned())
}

fn amount(field: &str, s: &str) -> Result<Amount, Fail> {
    Amount::parse(s).ok_or_else(|| fail(field, NOT_DECIMAL))
}

fn opt_amount(field: &str, s: &Option<String>) -> Result<Option<Amount>, Fail> {
    s.as_deref().map(|s| amount(field, s)).transpose()
}

fn list<T: Clone>(field: &str, l: &[T]) -> Result<Vec<T>, Fail> {
    if l.is_empty() {
        return Err(fail(field, "an empty list matches nothing"));
    }
    if l.len() > MAX_LIST {
        return Err(fail(field, &format!("more than {MAX_LIST} entries")));
    }
    Ok(l.to_vec())
}

fn addresses(field: &str, l: &[String]) -> Result<Vec<String>, Fail> {
    let l = list(field, l)?;
    if let Some((i, a)) = l.iter().enumerate().find(|(_, a)| !is_address(a)) {
        return Err(fail(
            &format!("{field}[{i}]"),
            &format!("{a:?} is neither a 0x EVM address nor a base58 address"),
        ));
    }
    Ok(l)
}

fn at_most_least(field: &str, most: &Option<Amount>, least: &Option<Amount>) -> Result<(), Fail> {
    match (most, least) {
        (Some(m), Some(l)) if l > m => Err(fail(
            field,
            "at_least is greater than at_most: matches nothing",
        )),
        _ => Ok(()),
    }
}

fn compile_when(w: &When) -> Result<Vec<Cond>, Fail> {
    let mut c = Vec::new();
    if let Some(k) = &w.kinds {
        c.push(Cond::Kinds(list("kinds", k)?));
    }
    if let Some(k) = &w.chains {
        c.push(Cond::Chains(list("chains", k)?));
    }
    if let Some(o) = &w.origins {
        let o = list("origins", o)?;
        if let Some((i, _)) = o.iter().enumerate().find(|(_, o)| {
            !(o.starts_with("https://") || o.starts_with("http://")) || o.ends_with('/')
        }) {
            return Err(fail(
                &format!("origins[{i}]"),
                "an origin is scheme://host[:port], without a path",
            ));
        }
        c.push(Cond::Origins(o));
    }
    if let Some(a) = &w.to {
        c.push(Cond::To(addresses("to", a)?));
    }
    if let Some(a) = &w.not_to {
        c.push(Cond::NotTo(addresses("not_to", a)?));
    }
    if let Some(a) = &w.to_contracts {
        c.push(Cond::ToContracts(addresses("to_contracts", a)?));
    }
    if let Some(s) = &w.selectors {
        let s = list("selectors", s)?;
        if let Some((i, _)) = s.iter().enumerate().find(|(_, s)| !is_selector(s)) {
            return Err(fail(
                &format!("selectors[{i}]"),
                "a selector is 0x and 8 hex digits",
            ));
        }
        c.push(Cond::Selectors(
            s.iter().map(|s| s.to_ascii_lowercase()).collect(),
        ));
    }
    c.extend(w.contract_call.map(Cond::ContractCall));
    let vmost = opt_amount("value_at_most", &w.value_at_most)?;
    let vleast = opt_amount("value_at_least", &w.value_at_least)?;
    at_most_least("value_at_least", &vmost, &vleast)?;
    c.extend(vmost.map(Cond::ValueAtMost));
    c.extend(vleast.map(Cond::ValueAtLeast));
    if let Some(t) = &w.token_transfers {
        let t = list("token_transfers", t)?;
        let conds = t
            .iter()
            .enumerate()
            .map(|(i, m)| token_cond(&format!("token_transfers[{i}]"), m))
            .collect::<Result<Vec<_>, _>>()?;
        c.push(Cond::TokenTransfers(conds));
    }
    c.extend(
        w.token_transfer_count_at_most
            .map(Cond::TokenTransferCountAtMost),
    );
    if let Some(b) = w.approvals {
        c.push(Cond::Approvals(b));
    }
    if let Some(a) = &w.spenders {
        c.push(Cond::Spenders(addresses("spenders", a)?));
    }
    if let Some(a) = &w.spenders_not_in {
        c.push(Cond::SpendersNotIn(addresses("spenders_not_in", a)?));
    }
    if let Some(a) = &w.approval_at_most {
        c.push(Cond::ApprovalAtMost(amount("approval_at_most", a)?));
    }
    if let Some(t) = &w.typed_data {
        let names = t
            .names
            .as_deref()
            .map(|l| list("typed_data.names", l))
            .transpose()?;
        let contracts = t
            .verifying_contracts
            .as_deref()
            .map(|l| addresses("typed_data.verifying_contracts", l))
            .transpose()?;
        let types = t
            .primary_types
            .as_deref()
            .map(|l| list("typed_data.primary_types", l))
            .transpose()?;
        c.push(Cond::TypedData {
            names,
            contracts,
            types,
        });
    }
    if let Some(d) = &w.siwe_domains {
        c.push(Cond::SiweDomains(list("siwe_domains", d)?));
    }
    c.extend(w.siwe.map(Cond::Siwe));
    if let Some(p) = &w.programs {
        let p = list("programs", p)?;
        if let Some((i, _)) = p
            .iter()
            .enumerate()
            .find(|(_, p)| !crate::syntax::is_base58_address(p))
        {
            return Err(fail(
                &format!("programs[{i}]"),
                "a program id is a base58 address",
            ));
        }
        c.push(Cond::Programs(p));
    }
    let lmost = opt_amount("lamports_at_most", &w.lamports_at_most)?;
    let lleast = opt_amount("lamports_at_least", &w.lamports_at_least)?;
    at_most_least("lamports_at_least", &lmost, &lleast)?;
    c.extend(lmost.map(Cond::LamportsAtMost));
    c.extend(lleast.map(Cond::LamportsAtLeast));
    c.extend(opt_amount("fee_at_most", &w.fee_at_most)?.map(Cond::FeeAtMost));
    if let Some(t) = &w.time_of_day {
        let from = parse_time_of_day(&t.from)
            .ok_or_else(|| fail("time_of_day.from", "not a time of day HH:MM"))?;
        let to = parse_time_of_day(&t.to)
            .ok_or_else(|| fail("time_of_day.to", "not a time of day HH:MM"))?;
        if from == to {
            return Err(fail("time_of_day.to", "equal to from: an empty range"));
        }
        c.push(Cond::TimeOfDay { from, to });
    }
    c.extend(w.until.map(Cond::Until));
    Ok(c)
}

fn token_cond(field: &str, m: &TokenMatch) -> Result<TokenCond, Fail> {
    if let Some(t) = &m.token
        && !is_address(t)
    {
        return Err(fail(&format!("{field}.token"), "not an address"));
    }
    let to =
        m.to.as_deref()
            .map(|l| addresses(&format!("{field}.to"), l))
            .transpose()?;
    let at_most = opt_amount(&format!("{field}.at_most"), &m.at_most)?;
    let at_least = opt_amount(&format!("{field}.at_least"), &m.at_least)?;
    at_most_least(&format!("{field}.at_least"), &at_most, &at_least)?;
    Ok(TokenCond {
        token: m.token.clone(),
        to,
        at_most,
        at_least,
    })
}

fn compile_limit(l: &Limit) -> Result<CLimit, Fail> {
    let window = parse_duration(&l.window).ok_or_else(|| {
        fail(
            "window",
            "not a duration (a positive integer and s, m, h, d or w; at most 366d)",
        )
    })?;
    let mut measures = Vec::new();
    if let Some(v) = &l.value_at_most {
        measures.push(Measure::Value(amount("value_at_most", v)?));
    }
    if let Some(v) = &l.lamports_at_most {
        measures.push(Measure::Lamports(amount("lamports_at_most", v)?));
    }
    if let Some(n) = l.count_at_most {
        measures.push(Measure::Count(n));
    }
    match (&l.token, &l.amount_at_most) {
        (Some(t), Some(a)) => {
            if !is_address(t) {
                return Err(fail("token", "not an address"));
            }
            measures.push(Measure::Token(t.clone(), amount("amount_at_most", a)?));
        }
        (Some(_), None) => {
            return Err(fail(
                "amount_at_most",
                "missing: a token limit needs amount_at_most",
            ));
        }
        (None, Some(_)) => return Err(fail("token", "missing: amount_at_most needs its token")),
        (None, None) => {}
    }
    if measures.len() != 1 {
        return Err(fail(
            "window",
            "a limit has exactly one of value_at_most, lamports_at_most, count_at_most, token + amount_at_most",
        ));
    }
    let measure = measures.remove(0);
    Ok(CLimit {
        window,
        window_text: l.window.clone(),
        measure,
    })
}
