//! Interned names: field names and members of literal unions.
//!
//! Types compare and hash names by `Sym`, an integer, instead of by string.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// An interned name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) struct Sym(u32);

#[derive(Default, Debug)]
pub(crate) struct Symbols {
    ids: HashMap<Arc<str>, Sym>,
    names: Vec<Arc<str>>,
}

impl Symbols {
    pub(crate) fn intern(&mut self, name: &str) -> Sym {
        if let Some(&sym) = self.ids.get(name) {
            return sym;
        }
        let sym = Sym(self.names.len() as u32);
        let name: Arc<str> = Arc::from(name);
        self.names.push(Arc::clone(&name));
        self.ids.insert(name, sym);
        sym
    }

    /// The symbol of a name that was interned before, if any. A name that
    /// never was cannot be a field of any type.
    pub(crate) fn get(&self, name: &str) -> Option<Sym> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, sym: Sym) -> &str {
        &self.names[sym.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent() {
        let mut syms = Symbols::default();
        let a = syms.intern("verdict");
        let b = syms.intern("comments");
        assert_ne!(a, b);
        assert_eq!(syms.intern("verdict"), a);
        assert_eq!(syms.get("comments"), Some(b));
        assert_eq!(syms.get("missing"), None);
        assert_eq!(syms.name(a), "verdict");
    }
}
