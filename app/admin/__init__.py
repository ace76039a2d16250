"""Pages for platform operators: dashboard, verification of organizations, admin rights, audit log."""
