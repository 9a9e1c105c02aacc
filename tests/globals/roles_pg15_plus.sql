-- Privileges on parameters (15+).
GRANT SET ON PARAMETER log_statement TO app_owner;
GRANT ALTER SYSTEM ON PARAMETER work_mem TO zed_admin WITH GRANT OPTION;
GRANT SET ON PARAMETER "myext.some_setting" TO readers;
