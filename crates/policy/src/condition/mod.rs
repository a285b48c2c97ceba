//! The `Condition` element: operators, set qualifiers, `…IfExists`, and their evaluation.
//!
//! Owns: parsing operator names (AWS's "Invalid Condition type" wording), pre-parsing policy values
//! into the type each operator compares, and AWS's rules for absent keys, multi-valued keys and
//! negated operators. Each operator family's comparison lives in its own file. Must never panic
//! on a context value of the wrong shape: such a value simply does not match.

mod arn;
mod binary;
mod boolean;
mod date;
mod ip;
mod null;
mod numeric;
mod string;

use crate::action::VENDOR;
use crate::arn_match::ArnPattern;
use crate::context::Env;
use crate::error::PolicyError;
use crate::glob::Glob;
use crate::json::Json;
use crate::variables::Template;

/// The comparison of the ordered families (numbers, dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, actual: T, policy: T) -> bool {
        match self {
            Cmp::Eq => actual == policy,
            Cmp::Lt => actual < policy,
            Cmp::Le => actual <= policy,
            Cmp::Gt => actual > policy,
            Cmp::Ge => actual >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAllValues,
    ForAnyValue,
}

/// A policy value pre-parsed for its operator.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Text(String),
    Glob(Glob),
    Number(f64),
    Instant(i128),
    Bool(bool),
    Bytes(Vec<u8>),
    Net(ipnet::IpNet),
    Arn(ArnPattern),
    /// A value the operator cannot read (`NumericEquals: "ten"`): it never matches.
    Invalid,
}

#[derive(Debug, Clone, PartialEq)]
enum PolicyValue {
    Static(Parsed),
    /// Contains policy variables: substituted, then parsed, per request.
    Dynamic(Template),
}

/// One operator applied to one key: `"StringLike": {"s3:prefix": ["home/*"]}`.
#[derive(Debug, Clone, PartialEq)]
struct Clause {
    family: Family,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
    /// Lower-cased: keys are case-insensitive.
    key: String,
    values: Vec<PolicyValue>,
}

/// A whole `Condition` element: every clause must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ConditionBlock {
    clauses: Vec<Clause>,
}

impl ConditionBlock {
    pub(crate) fn parse(value: &Json, substitute: bool) -> Result<ConditionBlock, PolicyError> {
        let Json::Object(operators) = value else {
            return Err(PolicyError::syntax());
        };
        let mut clauses = Vec::new();
        for (name, keys) in operators {
            let (family, negated, qualifier, if_exists) = parse_operator(name)?;
            let Json::Object(keys) = keys else {
                return Err(PolicyError::syntax());
            };
            for (key, values) in keys {
                if !key.contains(':') {
                    return Err(PolicyError::fixed(VENDOR));
                }
                let values = condition_values(values)?
                    .into_iter()
                    .map(|raw| policy_value(family, &raw, substitute))
                    .collect();
                clauses.push(Clause {
                    family,
                    negated,
                    qualifier,
                    if_exists,
                    key: key.to_ascii_lowercase(),
                    values,
                });
            }
        }
        Ok(ConditionBlock { clauses })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    pub(crate) fn holds(&self, env: &Env<'_>) -> bool {
        self.clauses.iter().all(|c| c.holds(env))
    }
}

fn parse_operator(name: &str) -> Result<(Family, bool, Qualifier, bool), PolicyError> {
    let invalid = || PolicyError::owned(format!("Invalid Condition type : {name}"));
    let (qualifier, rest) = match name.split_once(':') {
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAllValues") => {
            (Qualifier::ForAllValues, rest)
        }
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAnyValue") => (Qualifier::ForAnyValue, rest),
        Some(_) => return Err(invalid()),
        None => (Qualifier::Single, name),
    };
    let lower = rest.to_ascii_lowercase();
    let (base, if_exists) = match lower.strip_suffix("ifexists") {
        Some(base) => (base, true),
        None => (lower.as_str(), false),
    };
    let (family, negated) = match base {
        "stringequals" => (Family::StringEquals, false),
        "stringnotequals" => (Family::StringEquals, true),
        "stringequalsignorecase" => (Family::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (Family::StringEqualsIgnoreCase, true),
        "stringlike" => (Family::StringLike, false),
        "stringnotlike" => (Family::StringLike, true),
        "numericequals" => (Family::Numeric(Cmp::Eq), false),
        "numericnotequals" => (Family::Numeric(Cmp::Eq), true),
        "numericlessthan" => (Family::Numeric(Cmp::Lt), false),
        "numericlessthanequals" => (Family::Numeric(Cmp::Le), false),
        "numericgreaterthan" => (Family::Numeric(Cmp::Gt), false),
        "numericgreaterthanequals" => (Family::Numeric(Cmp::Ge), false),
        "dateequals" => (Family::Date(Cmp::Eq), false),
        "datenotequals" => (Family::Date(Cmp::Eq), true),
        "datelessthan" => (Family::Date(Cmp::Lt), false),
        "datelessthanequals" => (Family::Date(Cmp::Le), false),
        "dategreaterthan" => (Family::Date(Cmp::Gt), false),
        "dategreaterthanequals" => (Family::Date(Cmp::Ge), false),
        "bool" => (Family::Bool, false),
        "binaryequals" => (Family::Binary, false),
        "ipaddress" => (Family::Ip, false),
        "notipaddress" => (Family::Ip, true),
        "arnequals" | "arnlike" => (Family::Arn, false),
        "arnnotequals" | "arnnotlike" => (Family::Arn, true),
        "null" if !if_exists => (Family::Null, false),
        _ => return Err(invalid()),
    };
    Ok((family, negated, qualifier, if_exists))
}

/// Condition values may be strings, numbers or booleans, alone or in an array.
fn condition_values(value: &Json) -> Result<Vec<String>, PolicyError> {
    fn scalar(v: &Json) -> Result<String, PolicyError> {
        match v {
            Json::String(s) | Json::Number(s) => Ok(s.clone()),
            Json::Bool(b) => Ok(b.to_string()),
            _ => Err(PolicyError::syntax()),
        }
    }
    match value {
        Json::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn policy_value(family: Family, raw: &str, substitute: bool) -> PolicyValue {
    if family == Family::Arn {
        return PolicyValue::Static(Parsed::Arn(ArnPattern::parse(raw, substitute)));
    }
    let template = Template::parse(raw, substitute);
    if !template.is_static() {
        return PolicyValue::Dynamic(template);
    }
    match family {
        Family::StringLike => match template.render_glob(&|_| None) {
            Some(glob) => PolicyValue::Static(Parsed::Glob(glob)),
            None => PolicyValue::Dynamic(template),
        },
        _ => match template.render_text(&|_| None) {
            Some(text) => PolicyValue::Static(parse_text(family, &text)),
            None => PolicyValue::Dynamic(template),
        },
    }
}

fn parse_text(family: Family, text: &str) -> Parsed {
    let parsed = match family {
        Family::StringEquals => Some(Parsed::Text(text.to_owned())),
        Family::StringEqualsIgnoreCase => Some(Parsed::Text(string::fold(text))),
        Family::StringLike => Some(Parsed::Glob(Glob::parse(text))),
        Family::Numeric(_) => numeric::parse(text).map(Parsed::Number),
        Family::Date(_) => date::parse(text).map(Parsed::Instant),
        Family::Bool | Family::Null => boolean::parse(text).map(Parsed::Bool),
        Family::Binary => binary::parse(text).map(Parsed::Bytes),
        Family::Ip => ip::parse_net(text).map(Parsed::Net),
        Family::Arn => Some(Parsed::Arn(ArnPattern::parse(text, false))),
    };
    parsed.unwrap_or(Parsed::Invalid)
}

impl Clause {
    fn holds(&self, env: &Env<'_>) -> bool {
        let present = env.values(&self.key).filter(|v| !v.is_empty());
        if self.family == Family::Null {
            let absent = present.is_none();
            return self.any_value(env, |p| null::holds(p, absent));
        }
        let Some(actual) = present else {
            return match self.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => false,
                Qualifier::Single => self.if_exists || self.negated,
            };
        };
        let matches_any = |v: &str| self.any_value(env, |p| self.test(p, v, env));
        match self.qualifier {
            Qualifier::Single => actual.any(matches_any) != self.negated,
            Qualifier::ForAnyValue => actual.any(|v| matches_any(v) != self.negated),
            Qualifier::ForAllValues => actual.all(|v| matches_any(v) != self.negated),
        }
    }

    /// True when `f` holds for one of the policy values; values with variables are substituted
    /// first, and one that cannot be resolved matches nothing.
    fn any_value(&self, env: &Env<'_>, mut f: impl FnMut(&Parsed) -> bool) -> bool {
        self.values.iter().any(|v| match v {
            PolicyValue::Static(p) => f(p),
            PolicyValue::Dynamic(t) => {
                let lookup = |k: &str| env.variable(k);
                let parsed = match self.family {
                    Family::StringLike => t.render_glob(&lookup).map(Parsed::Glob),
                    _ => t
                        .render_text(&lookup)
                        .map(|text| parse_text(self.family, &text)),
                };
                parsed.is_some_and(|p| f(&p))
            }
        })
    }

    fn test(&self, policy: &Parsed, actual: &str, env: &Env<'_>) -> bool {
        match (self.family, policy) {
            (Family::StringEquals, Parsed::Text(p)) => p == actual,
            (Family::StringEqualsIgnoreCase, Parsed::Text(p)) => string::eq_folded(p, actual),
            (Family::StringLike, Parsed::Glob(g)) => g.matches(actual),
            (Family::Numeric(cmp), Parsed::Number(p)) => numeric::test(cmp, *p, actual),
            (Family::Date(cmp), Parsed::Instant(p)) => date::test(cmp, *p, actual),
            (Family::Bool, Parsed::Bool(p)) => boolean::test(*p, actual),
            (Family::Binary, Parsed::Bytes(p)) => binary::test(p, actual),
            (Family::Ip, Parsed::Net(p)) => ip::test(p, actual),
            (Family::Arn, Parsed::Arn(p)) => arn::test(p, actual, env),
            _ => false,
        }
    }
}
