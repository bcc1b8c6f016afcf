az_count = 2
