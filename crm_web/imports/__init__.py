"""Import wizard (CSV / .xlsx into contacts or companies, through a staging table and a batched
background job) and exports of the lists."""
