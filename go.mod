module github.com/phub/phub

go 1.26
