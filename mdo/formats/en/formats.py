# English for Dutch hospitals: day before month, as everywhere else in the application.
# (Django's English default, 04/12/1958, reads as April 12th to an American and December 4th to
# a Dutch reader: for dates of birth and meetings that ambiguity is not acceptable.)
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d-m-Y"
DATETIME_FORMAT = "j F Y H:i"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"]
FIRST_DAY_OF_WEEK = 1
