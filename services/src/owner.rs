//! Who owns a piece or a generation: an account, or a visitor's browser
//! session until they sign in. Kept apart from the sessions that name one, so
//! that the services storing pieces need not know about sessions.

use sea_orm::{ColumnTrait, Condition};

use crate::storage::piece;

/// Whom new pieces belong to, and whose pieces the library lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A signed-in account.
    User(i64),
    /// A visitor's browser session, by its random key.
    Visitor(String),
}

impl Owner {
    /// The condition selecting this owner's pieces.
    pub fn pieces(&self) -> Condition {
        match self {
            Owner::User(id) => Condition::all().add(piece::Column::OwnerId.eq(*id)),
            Owner::Visitor(key) => Condition::all()
                .add(piece::Column::OwnerId.is_null())
                .add(piece::Column::Visitor.eq(key.as_str())),
        }
    }

    /// Whether a row owned by account `owner_id`, or else by visitor key
    /// `visitor`, is this owner's.
    pub fn owns(&self, owner_id: Option<i64>, visitor: Option<&String>) -> bool {
        match self {
            Owner::User(id) => owner_id == Some(*id),
            Owner::Visitor(key) => owner_id.is_none() && visitor == Some(key),
        }
    }

    /// The signed-in account, if it is one.
    pub fn user(&self) -> Option<i64> {
        match self {
            Owner::User(id) => Some(*id),
            Owner::Visitor(_) => None,
        }
    }
}
