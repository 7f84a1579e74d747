"""Getting data in and out: demo data, CRM CSV imports, exports."""
