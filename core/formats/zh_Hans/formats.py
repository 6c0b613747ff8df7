# Simplified Chinese number formats for a bank's pages: amounts are grouped by thousands with a
# comma (1,234,567.89), as Chinese banks print them; Django's own zh_Hans groups by 4 with no
# separator. The date formats stay Django's.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
