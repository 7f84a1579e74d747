"""Full screens: pipeline, deal, qualify, checklist."""
