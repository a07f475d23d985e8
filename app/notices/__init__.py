"""Market notices: disruptions and news ("Muse gate closed") for a segment of producers."""
