//! Who a piece belongs to: an account, or, until the visitor registers or logs
//! in, the visitor's browser session.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    .add_column(ColumnDef::new(Pieces::OwnerId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Pieces::Table)
                    .add_column(ColumnDef::new(Pieces::Visitor).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_pieces_owner_id", Pieces::OwnerId),
            ("idx_pieces_visitor", Pieces::Visitor),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Pieces::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_pieces_owner_id", "idx_pieces_visitor"] {
            manager
                .drop_index(Index::drop().name(name).table(Pieces::Table).to_owned())
                .await?;
        }
        for column in [Pieces::OwnerId, Pieces::Visitor] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Pieces::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pieces {
    Table,
    OwnerId,
    Visitor,
}
