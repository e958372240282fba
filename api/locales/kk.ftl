# ekino сөздері қазақ тілінде (кирилл). Әр кілт kk.ftl, ru.ftl және en.ftl файлдарында бар (тест тексереді).
# Аударманы аудармашы әлі тексерген жоқ.
site-name = ekino
site-tagline = Қазақстан кинотеатрларының кассалық жинақтары — кинотеатрлар жіберген күйінде
nav-box-office = Кассалық жинақтар
lang-switch = Тіл
skip-to-content = Мазмұнға өту

chart-title = Күндік жинақтар
chart-heading = { $date } күнгі кассалық жинақтар
chart-date = Күні
chart-show = Көрсету
chart-status = Күннің мәртебесі
chart-total-gross = Барлық жинақ
chart-total-admissions = Барлық көрермен
chart-empty = Бұл күні сату туралы дерек түскен жоқ.
chart-top = Күннің жинағы бойынша көшбасшылары
col-rank = Орын
col-rank-change = Өзгеріс
col-new = Жаңа
col-title = Атауы
col-gross = Жинақ
col-share = Үлесі
col-admissions = Көрермен
col-cumulative-gross = Прокат басынан жинақ
col-cumulative-admissions = Прокат басынан көрермен
col-screens = Экрандар
col-shows = Сеанстар
col-status = Мәртебесі
new-entry = жаңа
status-provisional = алдын ала
status-final = түпкілікті
status-corrected = түзетілген

error-title = Сұрауда қате бар
error-bad-field = { $field }: { $reason }
error-unavailable = Деректер қоймасы жауап бермеді. Сәлден соң қайталап көріңіз.
error-not-found = Мұндай бет жоқ.
