"""What people read: grades.csv, the class report, fallback feedback pages."""
