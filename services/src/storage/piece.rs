//! The `pieces` table: every generated piece with what made it.

use sea_orm::entity::prelude::*;

/// A stored piece.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pieces")]
pub struct Model {
    /// Random (`services::random_id`), since it is the piece's address.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The instrument's id.
    pub instrument: String,
    /// Length asked for, in seconds.
    pub length_seconds: i32,
    /// Tempo in beats per minute (dotted quarters in 6/8).
    pub tempo_bpm: i32,
    /// The meter, as `vocabulary::Meter` writes it (`4/4`, `3/4`, `6/8`).
    pub meter: String,
    /// Energy, 1 calm to 5 lively.
    pub energy: i16,
    /// Tonic asked for (pitch class, 0 = C), if any.
    pub tonic: Option<i16>,
    /// Mode asked for (`major` or `minor`), if any.
    pub mode: Option<String>,
    /// Creativity (the sampling temperature).
    pub creativity: f64,
    /// The seed the settings named or the server drew.
    pub seed: i64,
    /// The model's version (instrument and weights digest).
    pub model_version: String,
    /// The key the piece ended in, such as `D minor`.
    pub key_name: Option<String>,
    /// Its length in seconds.
    pub seconds: f64,
    /// The standard MIDI file.
    pub midi: Vec<u8>,
    /// Key- and tempo-independent identity of the music.
    pub fingerprint: String,
    /// Unix time in seconds.
    pub created_at: i64,
    /// The account it belongs to.
    pub owner_id: Option<i64>,
    /// The visitor session it belongs to until they register or log in.
    pub visitor: Option<String>,
    /// The motif it starts from, if its customer gave one, as JSON
    /// (`domain::motif::Motif`).
    pub motif: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Its sale, once one is reserved or paid.
    #[sea_orm(has_many = "super::sale::Entity")]
    Sales,
    /// The account it belongs to, once it belongs to one.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id"
    )]
    Owner,
    /// The generation that composed it.
    #[sea_orm(has_one = "super::generation::Entity")]
    Generation,
}

impl Related<super::sale::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sales.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl Related<super::generation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Generation.def()
    }
}

/// The title of piece `id` of `instrument` (an id), such as `Piano piece
/// No. 4F1ZQ8K2XA`: the id in base 36, as ids are random and long.
pub fn title(instrument: &str, id: i64) -> String {
    let name = models::Instrument::from_id(instrument).map_or(instrument, |i| i.display_name());
    let mut digits = Vec::new();
    let mut rest = id.unsigned_abs();
    loop {
        digits.push(
            char::from_digit((rest % 36) as u32, 36)
                .unwrap_or('0')
                .to_ascii_uppercase(),
        );
        rest /= 36;
        if rest == 0 {
            break;
        }
    }
    let code: String = digits.into_iter().rev().collect();
    format!("{name} piece No. {code}")
}

impl Model {
    /// The piece's title, such as `Piano piece No. 4F1ZQ8K2XA`.
    pub fn title(&self) -> String {
        title(&self.instrument, self.id)
    }
}

impl ActiveModelBehavior for ActiveModel {}
