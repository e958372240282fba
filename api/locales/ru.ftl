# Слова ekino на русском. Каждый ключ есть в kk.ftl, ru.ftl и en.ftl (это проверяет тест).
site-name = ekino
site-tagline = Кассовые сборы кинотеатров Казахстана — так, как их передают кинотеатры
nav-box-office = Кассовые сборы
lang-switch = Язык
skip-to-content = Перейти к содержанию

chart-title = Сборы за день
chart-heading = Кассовые сборы за { $date }
chart-date = Дата
chart-show = Показать
chart-status = Статус дня
chart-total-gross = Всего сборов
chart-total-admissions = Всего зрителей
chart-empty = За этот день продаж не поступало.
chart-top = Лидеры дня по сборам
col-rank = Место
col-rank-change = Изменение
col-new = Новинка
col-title = Название
col-gross = Сборы
col-share = Доля
col-admissions = Зрители
col-cumulative-gross = Сборы с начала проката
col-cumulative-admissions = Зрители с начала проката
col-screens = Экраны
col-shows = Сеансы
col-status = Статус
new-entry = новинка
status-provisional = предварительные
status-final = окончательные
status-corrected = исправленные

error-title = В запросе ошибка
error-bad-field = { $field }: { $reason }
error-unavailable = Хранилище данных не ответило. Попробуйте немного позже.
error-not-found = Такой страницы нет.
